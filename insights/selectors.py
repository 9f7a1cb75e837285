"""Dashboard figures. Every figure is a read over the user's book (core.access), filtered
by manager / tier / plan, and costs a fixed number of queries however many contracts
there are: months and breakdowns come from GROUP BY and filtered aggregates, never from
a query per row or per month.

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
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Least, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contracts.access import contracts_visible_to
from contracts.models import ENDED_STATUSES, Contract, ContractStatus
from contracts.selectors import ended_on_expression
from core.csv_export import csv_currencies
from core.money import MoneyTotals
from customers.models import Customer, TierSettings
from retention.models import CancellationRequest, OfferResponse, Reason, Status

from .models import ContractScore

EXPIRY_WINDOWS = (30, 60, 90)
MONTHS = 12
MONEY: DecimalField = DecimalField(max_digits=20, decimal_places=2)
S = ContractStatus
# Statuses of a contract that was (or is) in force: drafts, unsigned and void never were.
IN_FORCE_STATUSES = (S.ACTIVE, S.RENEWED, S.EXPIRED, S.TERMINATED)

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


def month_starts(*, today: dt.date, count: int = MONTHS) -> list[dt.date]:
    """First days of the last ``count`` months, oldest first, ending with today's month."""
    year, month = today.year, today.month
    starts = []
    for _i in range(count):
        starts.append(dt.date(year, month, 1))
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return list(reversed(starts))


def month_end(start: dt.date) -> dt.date:
    nxt = dt.date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def _ratio(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole) * 100).quantize(Decimal("0.1"))


def _money(value: Any) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))


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


# --- monthly figures -------------------------------------------------------------------


@dataclass
class MonthFigures:
    month: dt.date
    ended: int = 0
    renewed: int = 0
    lost: int = 0
    # The value figures feed only the rates by value (a ratio needs one scale): in the
    # default currency at the exchange rates of the tier settings. ``converted`` names
    # the other currencies counted that way; ``left_out`` those without a rate, whose
    # terms are in neither side of the value rates (never counted as 0).
    ended_value: Decimal = Decimal("0.00")
    renewed_value: Decimal = Decimal("0.00")
    kept_value: Decimal = Decimal("0.00")  # renewals at most at the old value (GRR)
    successor_value: Decimal = Decimal("0.00")  # renewals at their new value (NRR)
    converted: set[str] = field(default_factory=set)
    left_out: set[str] = field(default_factory=set)
    in_force_at_start: int = 0
    cancellations: dict[str, int] = field(default_factory=dict)
    offers_shown: int = 0
    offers_accepted: int = 0

    @property
    def end(self) -> dt.date:
        return month_end(self.month)

    @property
    def renewal_rate_count(self) -> Decimal | None:
        return _ratio(self.renewed, self.ended)

    @property
    def renewal_rate_value(self) -> Decimal | None:
        return _ratio(self.renewed_value, self.ended_value)

    @property
    def grr(self) -> Decimal | None:
        return _ratio(self.kept_value, self.ended_value)

    @property
    def nrr(self) -> Decimal | None:
        return _ratio(self.successor_value, self.ended_value)

    @property
    def churn_rate(self) -> Decimal | None:
        return _ratio(self.lost, self.in_force_at_start)

    @property
    def save_rate(self) -> Decimal | None:
        return _ratio(self.offers_accepted, self.offers_shown)

    @property
    def cancellations_total(self) -> int:
        return sum(self.cancellations.values())


def monthly_figures(
    *,
    contracts: QuerySet[Contract],
    today: dt.date,
    rates: dict[str, Decimal],
    months: int = MONTHS,
) -> list[MonthFigures]:
    """The last ``months`` months (oldest first), in four queries."""
    default = settings.RENEWDESK["DEFAULT_CURRENCY"]
    known = {default, *rates}
    starts = month_starts(today=today, count=months)
    first, last = starts[0], month_end(starts[-1])
    figures = {m: MonthFigures(month=m) for m in starts}
    value = converted("annual_value", rates=rates)
    successor_value = converted(
        "successor__annual_value", rates=rates, currency_field="successor__currency"
    )

    # 1. Ended terms by the month they ended in and their (and their successor's)
    # currency (one GROUP BY).
    ended = (
        contracts.filter(status__in=ENDED_STATUSES)
        .alias(ended_on=ended_on_expression())
        .filter(ended_on__gte=first, ended_on__lte=last)
        .annotate(month=TruncMonth("ended_on"))
        .order_by()
        .values("month", "currency", "successor__currency")
        .annotate(
            ended=Count("id"),
            renewed=Count("id", filter=Q(status=S.RENEWED)),
            ended_value=Coalesce(Sum(value), Value(Decimal("0"))),
            renewed_value=Coalesce(Sum(value, filter=Q(status=S.RENEWED)), Value(Decimal("0"))),
            kept_value=Coalesce(
                Sum(Least(value, successor_value), filter=Q(status=S.RENEWED)),
                Value(Decimal("0")),
            ),
            successor_value=Coalesce(
                Sum(successor_value, filter=Q(status=S.RENEWED)), Value(Decimal("0"))
            ),
        )
    )
    for r in ended:
        month = _as_date(r["month"])
        if month in figures:
            f = figures[month]
            f.ended += r["ended"]
            f.renewed += r["renewed"]
            f.lost += r["ended"] - r["renewed"]
            currencies = {c for c in (r["currency"], r["successor__currency"]) if c}
            if currencies - known:
                f.left_out |= currencies - known
                continue
            f.converted |= currencies - {default}
            f.ended_value += _money(r["ended_value"])
            f.renewed_value += _money(r["renewed_value"])
            f.kept_value += _money(r["kept_value"])
            f.successor_value += _money(r["successor_value"])

    # 2. Contracts in force on each month's first day (one query, a filtered count each).
    in_force = contracts.filter(status__in=IN_FORCE_STATUSES).alias(ended_on=ended_on_expression())
    counts = in_force.aggregate(
        **{
            f"m{i}": Count(
                "id",
                filter=Q(start_date__lte=m)
                & (Q(status=S.ACTIVE, end_date__gte=m) | Q(ended_on__gte=m)),
            )
            for i, m in enumerate(starts)
        }
    )
    for i, m in enumerate(starts):
        figures[m].in_force_at_start = counts[f"m{i}"]

    # 3. Cancellation requests by month submitted and reason.
    requests = CancellationRequest.objects.filter(contract__in=contracts.values("pk"))
    by_reason = (
        requests.exclude(status=Status.REJECTED)
        .filter(submitted_at__date__gte=first, submitted_at__date__lte=last)
        .annotate(month=TruncMonth("submitted_at"))
        .order_by()
        .values("month", "reason")
        .annotate(n=Count("id"))
    )
    for r in by_reason:
        month = _as_date(r["month"])
        if month in figures:
            figures[month].cancellations[r["reason"]] = r["n"]

    # 4. Retention offers shown and accepted, by the month shown.
    offers = (
        requests.filter(
            offer_shown_at__isnull=False,
            offer_shown_at__date__gte=first,
            offer_shown_at__date__lte=last,
        )
        .annotate(month=TruncMonth("offer_shown_at"))
        .order_by()
        .values("month")
        .annotate(
            shown=Count("id"),
            accepted=Count("id", filter=Q(offer_response=OfferResponse.ACCEPTED)),
        )
    )
    for r in offers:
        month = _as_date(r["month"])
        if month in figures:
            figures[month].offers_shown = r["shown"]
            figures[month].offers_accepted = r["accepted"]
    return [figures[m] for m in starts]


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def cancellation_reasons() -> list[tuple[str, str]]:
    return [(code, str(label)) for code, label in Reason.choices]


def totals(figures: list[MonthFigures]) -> MonthFigures:
    """The whole period summed (rates recomputed from the sums, not averaged)."""
    total = MonthFigures(month=figures[0].month if figures else dt.date.today())
    for f in figures:
        total.ended += f.ended
        total.renewed += f.renewed
        total.lost += f.lost
        total.ended_value += f.ended_value
        total.renewed_value += f.renewed_value
        total.kept_value += f.kept_value
        total.successor_value += f.successor_value
        total.offers_shown += f.offers_shown
        total.offers_accepted += f.offers_accepted
        total.converted |= f.converted
        total.left_out |= f.left_out
        for reason, n in f.cancellations.items():
            total.cancellations[reason] = total.cancellations.get(reason, 0) + n
    # Churn over the period: lost over those in force at its start.
    total.in_force_at_start = figures[0].in_force_at_start if figures else 0
    return total


# --- list exports ------------------------------------------------------------------------


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
