"""The zh-hans catalogues of the staff UI are complete and compiled."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = [
    ROOT / "locale/zh_Hans/LC_MESSAGES/django.po",
    ROOT / "customers/locale/zh_Hans/LC_MESSAGES/django.po",
    ROOT / "contracts/locale/zh_Hans/LC_MESSAGES/django.po",
]


def _unescape(text: str) -> str:
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(0)), text)


def _unquote(line: str) -> str:
    match = re.search(r'"(.*)"\s*$', line)
    return match.group(1) if match else ""


def entries(path: Path) -> list[tuple[str, list[str], bool, bool]]:
    """(msgid, msgstrs, fuzzy, plain) for every live entry; plain = no context, no plural."""
    found = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        lines = [x for x in block.strip().splitlines() if not x.startswith("#~")]
        if not lines:
            continue
        msgid, msgstrs, current, plain = "", [], None, True
        fuzzy = any(x.startswith("#,") and "fuzzy" in x for x in lines)
        for line in lines:
            if line.startswith("msgid "):
                current, msgid = "msgid", _unquote(line)
            elif line.startswith("msgstr"):
                current = "msgstr"
                msgstrs.append(_unquote(line))
            elif line.startswith('"'):
                if current == "msgid":
                    msgid += _unquote(line)
                elif current == "msgstr":
                    msgstrs[-1] += _unquote(line)
            elif line.startswith(("msgid_plural", "msgctxt")):
                current, plain = None, False
        if msgid:  # not the header
            found.append((msgid, msgstrs, fuzzy, plain))
    return found


def untranslated_or_fuzzy(path: Path) -> list[str]:
    return [m for m, strs, fuzzy, _plain in entries(path) if fuzzy or not all(strs)]


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_string_has_a_reviewed_chinese_translation(path):
    assert path.exists()
    assert untranslated_or_fuzzy(path) == []
    # The compiled catalogue is the one Django reads: it must match the source.
    with path.with_suffix(".mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = [
        msgid
        for msgid, strs, _fuzzy, plain in entries(path)
        if plain and compiled.gettext(_unescape(msgid)) != _unescape(strs[0])
    ]
    assert stale == []


@pytest.mark.django_db
def test_the_staff_pages_speak_chinese_when_asked(client, manager):
    from django.conf import settings

    client.force_login(manager)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    html = client.get(reverse("staff-home")).content.decode()
    assert "工作台" in html and "退出登录" in html
    html = client.get(reverse("contracts:list")).content.decode()
    assert "筛选" in html and "到期天数内" in html
    html = client.get(reverse("customers:list")).content.decode()
    assert "新建客户" in html
