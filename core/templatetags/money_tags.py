"""Money in templates: two decimals with comma grouping in every language
(core.money.money_text)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.html import format_html

from core.money import MoneyTotals, money_text

register = template.Library()


@register.filter(needs_autoescape=True)
def money(value: object, currency: str = "", autoescape: bool = False) -> str:
    """``{{ amount|money }}`` → 21,232.69; ``{{ amount|money:"CNY" }}`` → CNY 21,232.69.

    In an HTML page (autoescaping on) the amount comes as ``<span class="money">…</span>``,
    which static/css/app.css keeps on one line: a phone broke "CNY 12,0" / "00.00".
    Plain-text templates (e-mails, inside ``{% autoescape off %}``) and Python callers get
    the bare text."""
    if value is None or value == "":
        return ""
    try:
        text = money_text(value if isinstance(value, Decimal | int) else str(value), currency)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    return format_html('<span class="money">{}</span>', text) if autoescape else text


@register.filter
def money_totals(value: object, empty_currency: str = "") -> str:
    """``{{ totals|money_totals }}`` → CNY 12,000.00 · USD 3,000.00: one amount per
    currency (core.money.MoneyTotals), never added across currencies. No amount at all
    reads 0.00 in ``empty_currency`` (the default currency if not given)."""
    if isinstance(value, MoneyTotals):
        return value.text(empty_currency or None)
    if value is None or value == "":
        return ""
    return money(value, empty_currency)
