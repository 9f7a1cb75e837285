from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal

import pytest

from core.demo.message_templates import (
    builtin_kinds,
    channels_for,
    message_template_rows,
    message_templates_seed,
    template_variables,
    template_write,
)
from notifications.models import MessageTemplate
from notifications.rendering import TemplateCache, message_templates_changed, template_render

pytestmark = pytest.mark.django_db


def _file_sources(kind: str) -> str:
    from django.template import TemplateDoesNotExist
    from django.template.loader import get_template

    sources = []
    for suffix in ("subject.txt", "txt", "html", "sms.txt"):
        try:
            sources.append(get_template(f"emails/{kind}.{suffix}").template.source)
        except TemplateDoesNotExist:  # not every kind has every part
            continue
    return "\n".join(sources)


def _context(row, *, truthy: bool, count: int) -> dict:
    """Values for every variable the row and its files read: numbers for plural counters,
    dates for |date, amounts for |money, and text with characters HTML escapes."""
    files = _file_sources(row.kind)
    both = files + row.subject + row.body_text + row.body_html
    counters = set(re.findall(r"count \w+=([\w.]+)", files))
    dates = set(re.findall(r"([\w.]+)\|date", both))
    amounts = set(re.findall(r"([\w.]+)\|money", both))
    context: dict = {}
    # A translation may leave a counter out ("第 N 年" needs no plural): the files need it.
    names = [*template_variables(row.subject, row.body_text, row.body_html, files), *counters]
    for name in names:
        if name in counters or name in {"days_left", "offset"}:
            value = count
        elif name in dates:
            value = dt.date(2028, 2, 29)
        elif name in amounts:
            value = Decimal("12345.60") if truthy else Decimal("0")
        else:
            value = f"Li & Partners <{name}>" if truthy else ""
        *parents, last = name.split(".")
        target = context
        for parent in parents:
            if not isinstance(target.get(parent), dict):
                target[parent] = {}
            target = target[parent]
        if not isinstance(target.get(last), dict):
            target[last] = value
    return context


def _render_all(rows, contexts) -> list:
    out = []
    for row in rows:
        for context in contexts(row):
            rendered = template_render(
                kind=row.kind,
                language=row.language,
                channel=row.channel,
                context=context,
                cache=TemplateCache(),
            )
            out.append(((row.kind, row.language, row.channel, repr(context)), rendered))
    return out


def test_the_rows_render_exactly_what_the_built_in_files_render():
    rows = message_template_rows()

    def contexts(row):
        return [
            _context(row, truthy=truthy, count=count)
            for truthy in (True, False)
            for count in (1, 7)
        ]

    message_templates_seed()
    from_rows = _render_all(rows, contexts)
    MessageTemplate.objects.update(is_active=False)
    message_templates_changed()
    from_files = _render_all(rows, contexts)

    assert len(from_rows) == len(from_files) == 4 * len(rows)
    mismatches = [
        key
        for (key, row), (_key, file) in zip(from_rows, from_files, strict=True)
        if (row.subject, row.html, row.text) != (file.subject, file.html, _as_text(key, file.text))
    ]
    assert mismatches == []


def _as_text(key, text: str) -> str:
    """A plain-text body as the row writes it. A few files (renewals' messages) forget
    {% autoescape off %}, so their text comes out HTML-escaped ("Li &amp; Partners"); the
    renderer compiles a row's text with autoescape off, which is what they meant."""
    from django.template.loader import select_template

    kind, _language, channel, _context = key
    names = [f"emails/{kind}.sms.txt"] if channel == "sms" else []
    source = select_template([*names, f"emails/{kind}.txt"]).template.source
    return text if "autoescape off" in source else html.unescape(text)


def test_there_is_a_row_for_each_kind_language_and_channel():
    created = message_templates_seed()

    expected = {
        (kind, language, channel)
        for kind in builtin_kinds()
        for language in ("en", "zh-hans")
        for channel in channels_for(kind)
    }
    assert created == len(expected)
    assert set(MessageTemplate.objects.values_list("kind", "language", "channel")) == expected
    assert {"renewal_reminder", "portal_login_link", "cancellation_offer", "dunning"} <= {
        kind for kind, _language, _channel in expected
    }
    assert ("renewal_reminder", "zh-hans", "sms") in expected
    assert ("portal_login_link", "en", "in_app") not in expected
    assert ("message_failed", "en", "in_app") in expected


def test_each_row_is_written_in_its_language_with_its_variables():
    message_templates_seed()

    reminder = MessageTemplate.objects.get(
        kind="renewal_reminder", language="zh-hans", channel="email"
    )
    assert "尊敬的{{ customer_name }}" in reminder.body_text
    assert '<html lang="zh-hans">' in reminder.body_html
    assert "{{ links.renew }}" in reminder.body_html
    assert reminder.body_text.startswith("{# Variables: ")
    english = MessageTemplate.objects.get(kind="renewal_reminder", language="en", channel="email")
    assert "{% if offset == 1 %}" in english.subject
    for row in MessageTemplate.objects.all():
        for text in (row.subject, row.body_text, row.body_html):
            assert "translate" not in text
            assert "extends" not in text
        row.full_clean()  # the admin would accept each row as it is


def test_seeding_again_keeps_what_an_admin_changed():
    message_templates_seed()
    row = MessageTemplate.objects.get(kind="dunning", language="en", channel="email")
    row.subject = "Please pay {{ invoice_number }}"
    row.save()

    assert message_templates_seed() == 0
    row.refresh_from_db()
    assert row.subject == "Please pay {{ invoice_number }}"


def test_it_writes_plurals_for_english_and_one_form_for_chinese():
    source = (
        "{% load i18n %}{% blocktranslate count days=days_left with n=number %}"
        "{{ n }} ends in {{ days }} day{% plural %}{{ n }} ends in {{ days }} days"
        "{% endblocktranslate %}"
    )

    english = template_write(source, language="en", channel="email")

    assert english == (
        "{% if days_left == 1 %}{{ number }} ends in {{ days_left }} day"
        "{% else %}{{ number }} ends in {{ days_left }} days{% endif %}"
    )


def test_it_keeps_a_tag_it_cannot_write_out_and_the_library_it_needs():
    source = '{% load i18n %}{% translate greeting %} {% translate "Renew" context "verb" %}'

    written = template_write(source, language="zh-hans", channel="email")

    assert written.startswith("{% load i18n %}")
    assert "{% translate greeting %}" in written
