"""Money in templates: two decimals with comma grouping in every language
(core.money.money_text)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

from core.money import MoneyTotals, money_text

register = template.Library()


@register.filter
def money(value: object, currency: str = "") -> str:
    """``{{ amount|money }}`` → 21,232.69; ``{{ amount|money:"CNY" }}`` → CNY 21,232.69."""
    if value is None or value == "":
        return ""
    try:
        return money_text(value if isinstance(value, Decimal | int) else str(value), currency)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)


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
