"""Money between RenewDesk (``Decimal`` in the major unit) and Stripe (integers in the
currency's smallest unit), following Stripe's list of zero- and three-decimal currencies
(docs.stripe.com/currencies). Every other currency Stripe takes has two decimals."""

from __future__ import annotations

from decimal import Decimal

from .base import ProviderError

# Stripe charges these in whole units: 1000 JPY is sent as ``1000``.
ZERO_DECIMAL = frozenset("BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split())
# Stripe takes these in thousandths, but the last digit must be 0 (whole hundredths).
THREE_DECIMAL = frozenset("BHD JOD KWD OMR TND".split())


def currency_exponent(currency: str) -> int:
    code = currency.upper()
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


def to_minor_units(amount: Decimal, currency: str) -> int:
    """``Decimal("12.30")`` CNY -> ``1230``; refuses amounts the currency cannot carry
    (``Decimal("0.5")`` JPY, ``Decimal("1.001")`` EUR) instead of rounding them."""
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0:
        raise ProviderError(f"Stripe: amount {amount!r} is not positive", code="invalid_amount")
    scaled = amount.scaleb(currency_exponent(currency))
    if scaled != scaled.to_integral_value():
        raise ProviderError(
            f"Stripe: {amount} has more decimals than {currency.upper()} allows",
            code="invalid_amount",
        )
    minor = int(scaled)
    if currency.upper() in THREE_DECIMAL and minor % 10:
        raise ProviderError(
            f"Stripe: {currency.upper()} amounts must be whole hundredths, not {amount}",
            code="invalid_amount",
        )
    return minor


def from_minor_units(minor: int, currency: str) -> Decimal:
    """``1230`` CNY -> ``Decimal("12.30")``; ``1000`` JPY -> ``Decimal("1000")``."""
    exponent = currency_exponent(currency)
    return (Decimal(int(minor)).scaleb(-exponent)).quantize(Decimal(1).scaleb(-exponent))
