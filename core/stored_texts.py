"""A document's title in the reader's language.

``Document.title`` is written once, in the customer's language, when the file is stored
(billing/documents.py, renewals/services/quotes.py and signing.py, retention/documents.py)
and stays as it was: it is the record. A customer who reads the portal in English, or a
staff member who reads Chinese, sees it rebuilt from the same pattern in the active
language: the stored title is matched against the pattern in every offered language, its
facts (number, revision, signer's name) taken out and put in the pattern of the language
being read. A title that matches no pattern (an upload, an older wording) is shown as
stored.

The patterns are keyed by ``DocumentKind`` value; this module imports no model so that
``core.models`` can import it.
"""

from __future__ import annotations

import re
from functools import cache

from django.conf import settings
from django.utils.translation import gettext, gettext_noop, override

# Keep in step with the services that store the titles (tests/core/test_document_titles.py
# stores each kind through them and reads it back in the other language).
TITLE_PATTERNS: dict[str, tuple[str, ...]] = {
    "invoice": (gettext_noop("Invoice %(number)s"),),
    "receipt": (gettext_noop("Receipt %(number)s"),),
    "contract": (gettext_noop("Contract %(number)s (revision %(rev)s)"),),
    "quote": (gettext_noop("Renewal quote %(number)s (revision %(rev)s)"),),
    "signed": (
        gettext_noop("Contract %(number)s, signed online by %(name)s"),
        gettext_noop("Contract %(number)s, signed on paper by %(name)s"),
    ),
    "cancellation": (gettext_noop("Cancellation confirmation %(number)s"),),
}

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _regex(template: str) -> re.Pattern[str]:
    """``"发票 %(number)s"`` → ``^发票\\ (?P<number>.*?)$``; a name used twice must match the
    same text twice."""
    parts: list[str] = []
    seen: set[str] = set()
    position = 0
    for match in _PLACEHOLDER.finditer(template):
        parts.append(re.escape(template[position : match.start()]))
        name = match.group(1)
        parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.*?)")
        seen.add(name)
        position = match.end()
    parts.append(re.escape(template[position:]))
    return re.compile("^" + "".join(parts) + "$", re.DOTALL)


@cache
def _matchers(kind: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """(msgid, regex) for each pattern of ``kind`` in each offered language and as written
    in the code; read once per process (the catalogues do not change while it runs)."""
    found: list[tuple[str, re.Pattern[str]]] = []
    for msgid in TITLE_PATTERNS.get(kind, ()):
        templates = {msgid}
        for code, _name in settings.LANGUAGES:
            with override(code):
                templates.add(gettext(msgid))
        found.extend((msgid, _regex(template)) for template in sorted(templates))
    return tuple(found)


def document_title_display(*, kind: str, title: str) -> str:
    """``title`` (stored in whichever language) in the active language, or as stored when
    it follows no known pattern of ``kind``."""
    for msgid, regex in _matchers(kind):
        match = regex.match(title)
        if match is not None:
            return gettext(msgid) % match.groupdict()
    return title
