from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import QuerySet, Sum

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


TOTALS_SEPARATOR = " · "


def default_currency() -> str:
    from django.conf import settings

    return settings.RENEWDESK["DEFAULT_CURRENCY"]


@dataclass(frozen=True)
class MoneyTotals:
    """Amounts summed per currency: money in different currencies is never added.

    ``amounts`` maps a currency code to its total (cents), sorted by code. Build one with
    ``MoneyTotals.of`` from (currency, amount) pairs, or ``sum_by_currency`` from a
    queryset; show it with the ``money_totals`` template filter or ``text()``:
    "CNY 12,000.00 · USD 3,000.00"."""

    amounts: dict[str, Decimal] = field(default_factory=dict)

    @classmethod
    def of(cls, pairs: Iterable[tuple[str, Decimal | int | str | None]]) -> MoneyTotals:
        sums: dict[str, Decimal] = {}
        for currency, amount in pairs:
            if amount is None:
                continue
            code = str(currency or default_currency()).upper()
            sums[code] = sums.get(code, Decimal("0")) + Decimal(amount)
        return cls({code: money(sums[code]) for code in sorted(sums)})

    def __add__(self, other: object) -> MoneyTotals:
        if not isinstance(other, MoneyTotals):
            return NotImplemented
        return MoneyTotals.of([*self.amounts.items(), *other.amounts.items()])

    def __bool__(self) -> bool:
        return bool(self.amounts)

    def __len__(self) -> int:
        return len(self.amounts)

    def items(self) -> list[tuple[str, Decimal]]:
        return list(self.amounts.items())

    @property
    def currencies(self) -> list[str]:
        return list(self.amounts)

    def get(self, currency: str) -> Decimal:
        return self.amounts.get(currency.upper(), Decimal("0.00"))

    def converted(self, rates: Mapping[str, Decimal], into: str | None = None) -> Converted:
        """The total in ``into`` (the default currency) at ``rates`` (units of ``into``
        per unit of each currency): for ratios and ordering, which need one scale. A
        currency without a rate is never counted as 0: it is left out and named."""
        into = into or default_currency()
        total = Decimal("0")
        left_out = []
        for code, amount in self.amounts.items():
            if code == into:
                total += amount
            elif code in rates:
                total += amount * rates[code]
            else:
                left_out.append(code)
        return Converted(amount=money(total), currency=into, left_out=tuple(left_out))

    def text(self, empty_currency: str | None = None) -> str:
        """ "CNY 12,000.00 · USD 3,000.00"; no amount at all reads "CNY 0.00"."""
        if not self.amounts:
            return money_text(0, empty_currency or default_currency())
        return TOTALS_SEPARATOR.join(money_text(a, c) for c, a in self.amounts.items())

    def __str__(self) -> str:
        return self.text()


@dataclass(frozen=True)
class Converted:
    """A MoneyTotals converted to one currency; ``left_out`` had no exchange rate."""

    amount: Decimal
    currency: str
    left_out: tuple[str, ...] = ()


def sum_by_currency(
    queryset: QuerySet[Any], amount: str | Any, *, currency: str = "currency"
) -> MoneyTotals:
    """``amount`` summed per currency over ``queryset`` in one GROUP BY query."""
    rows = (
        queryset.order_by()
        .values(currency)
        .annotate(total=Sum(amount))
        .values_list(currency, "total")
    )
    return MoneyTotals.of(rows)


def sums_by_currency(
    queryset: QuerySet[Any], key: str, amount: str | Any, *, currency: str = "currency"
) -> dict[Any, MoneyTotals]:
    """``sum_by_currency`` for each value of ``key`` (one GROUP BY key, currency query):
    e.g. the cases of each pipeline stage, the requests of each retention offer."""
    rows = (
        queryset.order_by()
        .values(key, currency)
        .annotate(total=Sum(amount))
        .values_list(key, currency, "total")
    )
    pairs: dict[Any, list[tuple[str, Decimal]]] = {}
    for group, code, total in rows:
        pairs.setdefault(group, []).append((code, total))
    return {group: MoneyTotals.of(p) for group, p in pairs.items()}
