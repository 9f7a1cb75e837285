"""The dashboard's monthly figures: for each of the last months the ended and renewed
terms, the rates by count and by value (renewal, GRR, NRR), churn, cancellations by reason
and the retention offers' save rate, in four queries, and the period's totals.

Definitions are in docs/metrics.md and ``selectors.METRIC_DEFINITIONS``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Least, TruncMonth
from django.utils import timezone

from contracts.models import ENDED_STATUSES, Contract, ContractStatus
from contracts.selectors import ended_on_expression
from retention.models import CancellationRequest, OfferResponse, Reason, Status

from .selectors import converted

MONTHS = 12
S = ContractStatus
# Statuses of a contract that was (or is) in force: drafts, unsigned and void never were.
IN_FORCE_STATUSES = (S.ACTIVE, S.RENEWED, S.EXPIRED, S.TERMINATED)


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
