from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def money(value: Decimal | int | str) -> Decimal:
    """Round to cents, half up, as invoices are. Never accepts float."""
    if isinstance(value, float):
        raise TypeError("money must not be a float")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def money_text(value: Decimal | int | str, currency: str = "") -> str:
    """Money as people read it, in every language: 21,232.69, or CNY 21,232.69.

    Django's zh-hans number format has no thousands separator; contracts and invoices
    in China are written 21,232.69 like everywhere else, so amounts ignore the locale."""
    text = f"{money(value):,.2f}"
    return f"{currency} {text}" if currency else text
