"""Why we lose renewals: lost renewal cases and confirmed cancellations in one analysis.

Two kinds of loss, counted once each:

- a **cancellation**: a cancellation request confirmed (or completed), in the month it was
  confirmed, with the reason the customer gave;
- a **lost renewal**: a renewal case closed as lost, in the month it was closed, with its
  loss reason (staff pick one when they close it; a term that ran out unanswered is
  "no response", ``renewals.services.cases_lose_at_term_end``). A case lost *because* of
  a confirmed cancellation (``lifecycle.cancellation_renewals``) is that cancellation: it
  is counted there, not twice.

Both reason lists are mapped onto one list (``REASONS``, data below): the cancellation
codes as they are, the renewal codes onto them where they mean the same, plus the two a
cancellation cannot have ("no response", "no longer needed").

Value is the contract's annualised value, summed per currency (``MoneyTotals``: CNY and
USD are never added). Every figure is over the user's book (``core.access`` through
``insights.selectors.dashboard_contracts``) and the twelve months that end with the month
of ``as_of``, in the business time zone; two GROUP BY queries give every table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Case, Count, DateField, F, Q, QuerySet, Sum, When
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.money import MoneyTotals
from customers.models import Tier
from renewals.models import LossReason, RenewalCase, Stage
from retention.models import CancellationRequest, Reason
from retention.models import Status as RequestStatus

from . import propensity as p
from .models import ContractScore
from .selectors import DashboardFilters, dashboard_contracts

MONTHS = 12
RENEWAL = "renewal"
CANCELLATION = "cancellation"
SOURCES: dict[str, Any] = {RENEWAL: _("Lost renewals"), CANCELLATION: _("Confirmed cancellations")}
# A cancellation is a loss once confirmed; a withdrawn or retained one is not.
LOST_BY_CANCELLATION = (RequestStatus.CONFIRMED, RequestStatus.COMPLETED)

# The one reason list of the analysis, in the order shown.
REASONS: list[tuple[str, Any]] = [
    (Reason.PRICE, Reason.PRICE.label),
    (Reason.BUDGET, Reason.BUDGET.label),
    (Reason.LOW_USAGE, Reason.LOW_USAGE.label),
    (LossReason.NO_LONGER_NEEDED, LossReason.NO_LONGER_NEEDED.label),
    (Reason.SERVICE_QUALITY, Reason.SERVICE_QUALITY.label),
    (Reason.COMPETITOR, Reason.COMPETITOR.label),
    (Reason.BUSINESS_CLOSED, Reason.BUSINESS_CLOSED.label),
    (LossReason.NO_RESPONSE, LossReason.NO_RESPONSE.label),
    (Reason.OTHER, Reason.OTHER.label),
]
REASON_LABELS = dict(REASONS)
# A renewal case's loss reason → the analysis reason (a cancellation's is its own code).
RENEWAL_REASON: dict[str, str] = {
    LossReason.PRICE: Reason.PRICE,
    LossReason.BUDGET: Reason.BUDGET,
    LossReason.NO_LONGER_NEEDED: LossReason.NO_LONGER_NEEDED,
    LossReason.COMPETITOR: Reason.COMPETITOR,
    LossReason.SERVICE: Reason.SERVICE_QUALITY,
    LossReason.NO_RESPONSE: LossReason.NO_RESPONSE,
    LossReason.OTHER: Reason.OTHER,
}
NO_TIER = "-"


@dataclass(frozen=True)
class LossFilters:
    as_of: dt.date
    source: str = ""  # "" for both kinds of loss
    manager_id: int | None = None
    tier: str = ""


def month_starts(as_of: dt.date, months: int = MONTHS) -> list[dt.date]:
    """The first days of the ``months`` months that end with ``as_of``'s month, oldest
    first (2028-02-29 → 2027-03-01 … 2028-02-01)."""
    index = as_of.year * 12 + as_of.month - 1
    return [dt.date(i // 12, i % 12 + 1, 1) for i in range(index - months + 1, index + 1)]


def window(as_of: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end): from the first month's first midnight to the midnight after
    ``as_of``, in the business time zone (a loss on ``as_of`` at 23:59 counts)."""
    tz = timezone.get_current_timezone()
    start = month_starts(as_of)[0]
    end = as_of + dt.timedelta(days=1)
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=tz),
        dt.datetime.combine(end, dt.time.min, tzinfo=tz),
    )


@dataclass(frozen=True)
class LossFact:
    """One GROUP BY row: losses of one kind, reason, month, tier, manager and currency."""

    source: str
    reason: str
    month: dt.date
    tier: str
    manager_id: int | None
    manager: str
    currency: str
    count: int
    value: Decimal


@dataclass
class Tally:
    """Counts and values of one row of a table, per kind of loss."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SOURCES, 0))
    values: dict[str, MoneyTotals] = field(
        default_factory=lambda: {s: MoneyTotals() for s in SOURCES}
    )

    def add(self, fact: LossFact) -> None:
        self.counts[fact.source] += fact.count
        self.values[fact.source] += MoneyTotals.of([(fact.currency, fact.value)])

    @property
    def count(self) -> int:
        return sum(self.counts.values())

    @property
    def value(self) -> MoneyTotals:
        total = MoneyTotals()
        for v in self.values.values():
            total += v
        return total


def _tier(prefix: str) -> Case:
    """The effective tier: a manual override wins over the computed one."""
    return Case(
        When(~Q(**{f"{prefix}tier_override": ""}), then=F(f"{prefix}tier_override")),
        default=F(f"{prefix}tier"),
    )


def _facts(qs: QuerySet[Any], *, reason: str, at: str, contract: str) -> list[Any]:
    tz = timezone.get_current_timezone()
    manager = f"{contract}customer_manager"
    return list(
        qs.annotate(
            a_month=TruncMonth(at, tzinfo=tz, output_field=DateField()),
            a_tier=_tier(f"{contract}customer__"),
        )
        .order_by()
        .values(
            reason,
            "a_month",
            "a_tier",
            manager,
            f"{manager}__username",
            f"{manager}__first_name",
            f"{manager}__last_name",
            f"{contract}currency",
        )
        .annotate(n=Count("id"), v=Sum(f"{contract}annual_value"))
        .values_list(
            reason,
            "a_month",
            "a_tier",
            manager,
            f"{manager}__username",
            f"{manager}__first_name",
            f"{manager}__last_name",
            f"{contract}currency",
            "n",
            "v",
        )
    )


def loss_facts(*, user: Any, filters: LossFilters) -> list[LossFact]:
    """Every loss in the window and the user's book, grouped: two queries."""
    start, end = window(filters.as_of)
    contracts = dashboard_contracts(
        user=user, filters=DashboardFilters(manager_id=filters.manager_id, tier=filters.tier)
    )
    confirmed = CancellationRequest.objects.filter(status__in=LOST_BY_CANCELLATION)
    rows: list[tuple[str, tuple[Any, ...]]] = []
    if filters.source in ("", RENEWAL):
        cases = RenewalCase.objects.filter(
            stage=Stage.LOST, closed_at__gte=start, closed_at__lt=end, contract__in=contracts
        ).exclude(contract__in=confirmed.values("contract_id"))
        rows += [
            (RENEWAL, r)
            for r in _facts(cases, reason="loss_reason", at="closed_at", contract="contract__")
        ]
    if filters.source in ("", CANCELLATION):
        requests = confirmed.filter(
            confirmed_at__gte=start, confirmed_at__lt=end, contract__in=contracts
        )
        rows += [
            (CANCELLATION, r)
            for r in _facts(requests, reason="reason", at="confirmed_at", contract="contract__")
        ]
    facts = []
    for source, (code, month, tier, manager_id, username, first, last, currency, n, v) in rows:
        reason = RENEWAL_REASON.get(code, Reason.OTHER) if source == RENEWAL else code
        if reason not in REASON_LABELS:
            reason = Reason.OTHER
        name = f"{first or ''} {last or ''}".strip() or username or str(_("Unassigned"))
        facts.append(
            LossFact(
                source=source,
                reason=reason,
                month=month,
                tier=tier or NO_TIER,
                manager_id=manager_id,
                manager=name,
                currency=currency,
                count=n,
                value=v or Decimal("0"),
            )
        )
    return facts


# --- the tables ------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    label: Any
    money: bool = False  # a MoneyTotals cell: one CSV column per currency


@dataclass
class Table:
    """A table the page shows and the CSV export writes, cell for cell."""

    key: str
    title: Any
    columns: list[Column]
    rows: list[list[Any]]

    @property
    def cells(self) -> list[list[tuple[Any, bool]]]:
        """Each row's cells with whether they are money, for the template."""
        return [
            [(cell, column.money) for cell, column in zip(row, self.columns, strict=True)]
            for row in self.rows
        ]


def _tally_columns(first: Any) -> list[Column]:
    return [
        Column(first),
        Column(_("Lost renewals")),
        Column(_("Lost renewals: value"), money=True),
        Column(_("Confirmed cancellations")),
        Column(_("Confirmed cancellations: value"), money=True),
        Column(_("Total")),
        Column(_("Total value"), money=True),
    ]


def _tally_row(label: Any, t: Tally) -> list[Any]:
    return [
        label,
        t.counts[RENEWAL],
        t.values[RENEWAL],
        t.counts[CANCELLATION],
        t.values[CANCELLATION],
        t.count,
        t.value,
    ]


def _group(facts: Iterable[LossFact], key: Any) -> dict[Any, Tally]:
    out: dict[Any, Tally] = {}
    for f in facts:
        out.setdefault(key(f), Tally()).add(f)
    return out


def loss_tables(facts: list[LossFact], *, as_of: dt.date) -> list[Table]:
    """By reason, by month, the month × reason trend, by tier, by manager, and the total."""
    months = month_starts(as_of)
    by_reason = _group(facts, lambda f: f.reason)
    by_month = _group(facts, lambda f: f.month)
    by_tier = _group(facts, lambda f: f.tier)
    by_manager = _group(facts, lambda f: (f.manager_id, f.manager))
    trend: dict[tuple[dt.date, str], int] = {}
    for f in facts:
        trend[(f.month, f.reason)] = trend.get((f.month, f.reason), 0) + f.count
    total = Tally()
    for f in facts:
        total.add(f)
    # "No longer needed" is a renewal's reason only: shown when some loss has it, and then
    # in both reason tables (they list the same reasons, column for row).
    reasons = [
        (code, label)
        for code, label in REASONS
        if code in by_reason or code != LossReason.NO_LONGER_NEEDED
    ]
    tiers = [*Tier.values, *sorted(set(by_tier) - set(Tier.values))]
    return [
        Table(
            "reasons",
            _("By reason"),
            _tally_columns(_("Reason")),
            [_tally_row(label, by_reason.get(code, Tally())) for code, label in reasons]
            + [_tally_row(_("Total"), total)],
        ),
        Table(
            "months",
            _("By month"),
            _tally_columns(_("Month")),
            [_tally_row(m.strftime("%Y-%m"), by_month.get(m, Tally())) for m in months],
        ),
        Table(
            "trend",
            _("Reasons by month"),
            [Column(_("Month")), *[Column(label) for _code, label in reasons]],
            [
                [m.strftime("%Y-%m"), *[trend.get((m, code), 0) for code, _label in reasons]]
                for m in months
            ],
        ),
        Table(
            "tiers",
            _("By tier"),
            _tally_columns(_("Tier")),
            [_tally_row(t, by_tier.get(t, Tally())) for t in tiers],
        ),
        Table(
            "managers",
            _("By account manager"),
            _tally_columns(_("Account manager")),
            [
                _tally_row(name, t)
                for (_id, name), t in sorted(
                    by_manager.items(), key=lambda kv: (-kv[1].count, kv[0][1])
                )
            ],
        ),
    ]


# --- the propensity factors beside them ------------------------------------------------


def propensity_factors(*, user: Any, filters: LossFilters) -> Table:
    """What the renewal-propensity scores (rules or the trained model, whichever scored
    them) say weighs on the contracts now ending in the same book: for each factor, how
    many scored contracts have it among their top factors, how many of those it pulls
    down, and its average effect in score points. One query, read in chunks."""
    contracts = dashboard_contracts(
        user=user, filters=DashboardFilters(manager_id=filters.manager_id, tier=filters.tier)
    )
    seen: dict[str, list[float]] = {}
    scored = ContractScore.objects.filter(contract__in=contracts).order_by()
    for factors in scored.values_list("factors", flat=True).iterator(chunk_size=2000):
        for f in factors or []:
            seen.setdefault(f["feature"], []).append(float(f["effect"]))
    rows = []
    for feature in sorted(seen, key=lambda k: (-len(seen[k]), k)):
        effects = seen[feature]
        average = Decimal(str(round(sum(effects) / len(effects), 1)))
        rows.append(
            [
                p.FEATURE_LABELS.get(feature, feature),
                len(effects),
                sum(1 for e in effects if e < 0),
                average,
            ]
        )
    return Table(
        "factors",
        _("Renewal propensity factors"),
        [
            Column(_("Factor")),
            Column(_("Contracts where it is a top factor")),
            Column(_("Of which it lowers the score")),
            Column(_("Average effect (points)")),
        ],
        rows,
    )
