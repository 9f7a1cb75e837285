"""Money in templates: two decimals with comma grouping in every language
(core.money.money_text)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

from core.money import money_text

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
