"""Dashboard reads: the filters and the contracts they select, the conversion to the
default currency, and the upcoming expirations. Every figure is a read over the user's
book (core.access), filtered by manager / tier / plan, and costs a fixed number of
queries however many contracts there are: months and breakdowns come from GROUP BY and
filtered aggregates, never from a query per row or per month. The monthly figures are in
``monthly_figures``, the money columns of the lists in ``export_values``.

Definitions are in docs/metrics.md and METRIC_DEFINITIONS (shown as tooltips).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from contracts.access import contracts_visible_to
from contracts.models import Contract, ContractStatus
from core.money import MoneyTotals
from customers.models import TierSettings

EXPIRY_WINDOWS = (30, 60, 90)
MONEY: DecimalField = DecimalField(max_digits=20, decimal_places=2)
S = ContractStatus

METRIC_DEFINITIONS: dict[str, Any] = {
    "expiring": _(
        "Active contracts whose end date is from today to today + N days; value is the "
        "annualised contract value, summed per currency (currencies are never added "
        "together)."
    ),
    "renewal_rate_count": _(
        "Of the terms that ended in the month (renewed, expired or terminated), the share "
        "that was renewed."
    ),
    "renewal_rate_value": _(
        "As the renewal rate by count, weighted by the annualised value of the ended "
        "terms, converted to the default currency at the exchange rates of the tier "
        "settings; terms in a currency without a rate are left out."
    ),
    "grr": _(
        "Gross revenue retention: annualised value kept from the terms that ended in the "
        "month (each renewal counted at most at its old value) divided by the value of "
        "all those terms."
    ),
    "nrr": _(
        "Net revenue retention: annualised value of the renewals (with upgrades and "
        "downgrades) divided by the value of all terms that ended in the month."
    ),
    "churn_rate": _(
        "Contracts that ended in the month without renewal (expired or terminated) "
        "divided by the contracts in force on the first day of the month."
    ),
    "cancellations": _(
        "Cancellation requests submitted in the month, by the reason the customer gave "
        "(rejected requests not counted)."
    ),
    "save_rate": _(
        "Of the cancellation requests whose retention offer was shown in the month, the "
        "share where the customer accepted the offer."
    ),
}


@dataclass(frozen=True)
class DashboardFilters:
    manager_id: int | None = None
    tier: str = ""
    plan_id: int | None = None

    def as_query(self) -> dict[str, str]:
        """The same filters for the contracts list link."""
        query: dict[str, str] = {}
        if self.manager_id:
            query["manager"] = str(self.manager_id)
        if self.tier:
            query["tier"] = self.tier
        if self.plan_id:
            query["plan"] = str(self.plan_id)
        return query


def dashboard_contracts(*, user: Any, filters: DashboardFilters) -> QuerySet[Contract]:
    qs = contracts_visible_to(user)
    if filters.manager_id:
        qs = qs.filter(customer_manager_id=filters.manager_id)
    if filters.tier:
        # The effective tier: a manual override wins over the computed one.
        qs = qs.filter(
            Q(customer__tier_override=filters.tier)
            | Q(customer__tier_override="", customer__tier=filters.tier)
        )
    if filters.plan_id:
        qs = qs.filter(plan_id=filters.plan_id)
    return qs


def fx_rates() -> dict[str, Decimal]:
    tier_settings = TierSettings.objects.filter(pk=1).first()
    return tier_settings.fx_rate_map() if tier_settings else {}


def converted(field_name: str, *, rates: dict[str, Decimal], currency_field: str = "currency"):
    """``field_name`` in the default currency. A currency without a rate comes out 0
    here: callers that sum it leave such rows out (``monthly_figures``) or only order by
    it (the at-risk list)."""
    default = settings.RENEWDESK["DEFAULT_CURRENCY"]
    return Case(
        When(**{currency_field: default}, then=F(field_name)),
        *[
            When(
                **{currency_field: code},
                then=ExpressionWrapper(F(field_name) * Value(rate), output_field=MONEY),
            )
            for code, rate in sorted(rates.items())
            if code != default
        ],
        default=Value(Decimal("0")),
        output_field=MONEY,
    )


# --- upcoming expirations ------------------------------------------------------------


@dataclass
class ExpiryRow:
    key: Any
    label: str
    counts: dict[int, int] = field(default_factory=dict)
    # Per currency: a row never adds USD to CNY (core.money.MoneyTotals).
    values: dict[int, MoneyTotals] = field(default_factory=dict)


def _expiry_aggregates(today: dt.date) -> dict[str, Any]:
    aggregates: dict[str, Any] = {}
    for days in EXPIRY_WINDOWS:
        window = Q(end_date__lte=today + dt.timedelta(days=days))
        aggregates[f"c{days}"] = Count("id", filter=window)
        aggregates[f"v{days}"] = Coalesce(Sum("annual_value", filter=window), Value(Decimal("0")))
    return aggregates


def upcoming_expirations(
    *, contracts: QuerySet[Contract], today: dt.date, rates: dict[str, Decimal]
) -> dict[str, list[ExpiryRow]]:
    """Totals and breakdowns by tier, manager and plan: four GROUP BY queries (each also
    by currency). Values are summed per currency, never converted; ``rates`` only orders
    the rows (most value within 90 days first, at the configured exchange rates)."""
    horizon = today + dt.timedelta(days=max(EXPIRY_WINDOWS))
    base = (
        contracts.filter(status=S.ACTIVE, end_date__gte=today, end_date__lte=horizon)
        .annotate(
            effective_tier=Case(
                When(~Q(customer__tier_override=""), then=F("customer__tier_override")),
                default=F("customer__tier"),
            )
        )
        .order_by()
    )
    aggregates = _expiry_aggregates(today)

    def rows(group: list[str], label: Any) -> list[ExpiryRow]:
        merged: dict[tuple[Any, ...], tuple[dict[str, Any], dict[int, int], dict[int, list]]] = {}
        for r in base.values(*group, "currency").annotate(**aggregates):
            first, counts, pairs = merged.setdefault(
                tuple(r[g] for g in group),
                (r, dict.fromkeys(EXPIRY_WINDOWS, 0), {d: [] for d in EXPIRY_WINDOWS}),
            )
            for d in EXPIRY_WINDOWS:
                if r[f"c{d}"]:
                    counts[d] += r[f"c{d}"]
                    pairs[d].append((r["currency"], r[f"v{d}"]))
        out = [
            ExpiryRow(
                key=key[0] if group else None,
                label=label(first),
                counts=counts,
                values={d: MoneyTotals.of(pairs[d]) for d in EXPIRY_WINDOWS},
            )
            for key, (first, counts, pairs) in merged.items()
        ]
        if not group and not out:
            out = [
                ExpiryRow(
                    key=None,
                    label=label({}),
                    counts=dict.fromkeys(EXPIRY_WINDOWS, 0),
                    values={d: MoneyTotals() for d in EXPIRY_WINDOWS},
                )
            ]
        return sorted(out, key=lambda row: (-row.values[90].converted(rates).amount, row.label))

    def manager_label(r: dict[str, Any]) -> str:
        first = r["customer__account_manager__first_name"] or ""
        full = f"{first} {r['customer__account_manager__last_name'] or ''}"
        return full.strip() or r["customer__account_manager__username"] or str(_("Unassigned"))

    return {
        "total": rows([], lambda r: str(_("All"))),
        "tier": rows(["effective_tier"], lambda r: r["effective_tier"]),
        "manager": rows(
            [
                "customer__account_manager",
                "customer__account_manager__username",
                "customer__account_manager__first_name",
                "customer__account_manager__last_name",
            ],
            manager_label,
        ),
        "plan": rows(
            ["plan", "plan__code", "plan__name"],
            lambda r: f"{r['plan__code']} {r['plan__name']}" if r["plan"] else str(_("No plan")),
        ),
    }
