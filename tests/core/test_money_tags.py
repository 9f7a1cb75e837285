"""The money filter (core/templatetags/money_tags.py): an HTML page gets the amount in a
<span class="money"> the shared CSS keeps on one line (issue #13, item 15: "CNY 12,0" /
"00.00" on a phone); plain-text e-mails get the bare text."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.template.loader import render_to_string

from core.templatetags.money_tags import money


def _render(source: str, **context) -> str:
    return Template("{% load money_tags %}" + source).render(Context(context))


def test_it_wraps_an_amount_in_a_money_span_in_html():
    out = _render("{{ x|money:'CNY' }}", x=Decimal("12000"))
    assert out == '<span class="money">CNY 12,000.00</span>'


def test_it_writes_the_bare_amount_where_autoescaping_is_off():
    out = _render("{% autoescape off %}{{ x|money:'CNY' }}{% endautoescape %}", x=Decimal("5"))
    assert out == "CNY 5.00"


def test_it_gives_python_callers_the_text():
    assert money(Decimal("21232.685"), "USD") == "USD 21,232.69"


def test_it_keeps_an_empty_value_empty_so_default_still_applies():
    assert _render("{{ x|money|default:'—' }}", x=None) == "—"


def test_it_escapes_what_is_not_an_amount():
    assert _render("{{ x|money }}", x="<b>") == "&lt;b&gt;"


def test_it_puts_the_span_inside_a_translated_sentence_of_a_page():
    sentence = "{% blocktranslate with a=x|money:'CNY' %}Pay {{ a }}{% endblocktranslate %}"
    out = _render("{% load i18n %}" + sentence, x=Decimal("1"))
    assert out == 'Pay <span class="money">CNY 1.00</span>'


def _text_templates_with_money() -> list[str]:
    base = Path(settings.BASE_DIR)
    found = []
    for path in sorted(base.glob("*/templates/emails/**/*.txt")):
        if "|money" in path.read_text():
            found.append(path.relative_to(path.parents[1]).as_posix())
    return found


@pytest.mark.parametrize("template", _text_templates_with_money())
def test_no_plain_text_email_gets_html_around_an_amount(template):
    context = {
        name: Decimal("35901.64")
        for name in (
            "amount",
            "total",
            "next_fee",
            "current_fee",
            "fee_change_abs",
            "fee",
            "refund",
            "fee_to_invoice",
        )
    }
    text = render_to_string(template, {**context, "currency": "CNY", "days_left": 3})
    assert "35,901.64" in text
    assert "<span" not in text
