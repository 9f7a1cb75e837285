"""Money in templates: two decimals with comma grouping in every language.

Django's zh-hans number format has no thousands separator; contracts and invoices in
China are written 21,232.69 like everywhere else, so amounts do not follow the locale.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

from core.money import money as to_money

register = template.Library()


@register.filter
def money(value: object, currency: str = "") -> str:
    """``{{ amount|money }}`` → 21,232.69; ``{{ amount|money:"CNY" }}`` → CNY 21,232.69."""
    if value is None or value == "":
        return ""
    try:
        amount = to_money(value if isinstance(value, Decimal | int) else str(value))
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    text = f"{amount:,.2f}"
    return f"{currency} {text}" if currency else text
