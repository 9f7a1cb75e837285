"""The money columns of the customer and at-risk lists and their exports: a customer's
active contract value per currency, a scored contract's value at risk in its currency."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import OuterRef, QuerySet, Subquery, Sum

from contracts.models import Contract, ContractStatus
from core.csv_export import csv_currencies
from core.money import MoneyTotals
from customers.models import Customer

from .models import ContractScore
from .selectors import MONEY

S = ContractStatus


def with_active_value_by_currency(
    customers: QuerySet[Customer],
) -> tuple[QuerySet[Customer], list[str]]:
    """``customers`` annotated with the annual value of their active contracts in each
    currency found among them (one subquery per currency; never converted, never added
    across currencies), and those currencies, sorted: the customer export gives each its
    column. Read a customer's amounts back with ``active_values_of``."""
    active = Contract.objects.filter(status=S.ACTIVE)
    currencies = csv_currencies(
        active.filter(customer__in=customers.values("pk"))
        .order_by()
        .values_list("currency", flat=True)
        .distinct()
    )
    annotated = customers.annotate(
        **{
            f"active_value_{i}": Subquery(
                active.filter(customer=OuterRef("pk"), currency=code)
                .order_by()
                .values("customer")
                .annotate(v=Sum("annual_value"))
                .values("v"),
                output_field=MONEY,
            )
            for i, code in enumerate(currencies)
        }
    )
    return annotated, currencies


def active_values_of(customer: Customer, currencies: list[str]) -> MoneyTotals:
    return MoneyTotals.of(
        (code, getattr(customer, f"active_value_{i}", None)) for i, code in enumerate(currencies)
    )


def value_at_risk_in_currency(score: ContractScore) -> Decimal:
    """A scored contract's value at risk in the contract's own currency: annualised value
    × (100 − score) / 100. The stored ``value_at_risk`` is in the default currency (at
    the tier settings' rates) only to order the at-risk list across currencies; what the
    page and the export show next to the contract's currency is this figure."""
    value = score.contract.annual_value * (100 - score.score) / 100
    return value.quantize(Decimal("0.01"))
