"""Reads of the points ledger: balance, what is available today, what expires, the
member's level and privileges. A balance is always a sum of ledger rows.

Expiry is first in, first out: every debit (redemption, expiry, negative adjustment)
takes the points that expire soonest. So on a day ``D`` the points still to expire are
``max(0, credits expiring by D - all debits)``; the daily sweep writes them as an expiry
row, and until it has, :func:`points_available` leaves them out already.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from billing.services import add_months
from customers.models import Customer

from .models import EntryKind, Level, PointsEntry, Privilege, PrivilegeKind, Redemption, Reward

CREDIT = Q(points__gt=0)
DEBIT = Q(points__lt=0)


def qualifying_months() -> int:
    return int(getattr(settings, "LOYALTY_QUALIFYING_MONTHS", 12))


def _sum(qs: QuerySet[PointsEntry]) -> int:
    return int(qs.aggregate(total=Sum("points"))["total"] or 0)


def points_balance(*, customer: Customer) -> int:
    """The sum of the customer's ledger."""
    return _sum(PointsEntry.objects.filter(customer=customer))


def points_due_to_expire(*, customer: Customer, on: dt.date) -> int:
    """Points whose expiry date is ``on`` or earlier and that no debit has taken yet
    (what the sweep for ``on`` writes off)."""
    entries = PointsEntry.objects.filter(customer=customer)
    expiring = _sum(entries.filter(CREDIT, expires_on__isnull=False, expires_on__lte=on))
    debits = -_sum(entries.filter(DEBIT))
    return max(0, expiring - debits)


def points_available(*, customer: Customer, on: dt.date) -> int:
    """What the customer can spend on ``on``: the balance less points already due to
    expire that the sweep has not written off yet."""
    return points_balance(customer=customer) - points_due_to_expire(customer=customer, on=on)


def points_expiring(
    *, customer: Customer, on: dt.date, within_days: int = 90
) -> tuple[int, dt.date]:
    """How many of today's available points expire in the next ``within_days`` days,
    and the end of that window."""
    until = on + dt.timedelta(days=within_days)
    later = points_due_to_expire(customer=customer, on=until)
    now = points_due_to_expire(customer=customer, on=on)
    return max(0, later - now), until


def qualifying_points(*, customer: Customer, on: dt.date) -> int:
    """Points earned (and credited by staff) in the qualifying window ending ``on``: the
    level's measure, which redemptions do not lower."""
    return _sum(_qualifying_entries(customer=customer, on=on))


def _qualifying_entries(*, customer: Customer, on: dt.date) -> QuerySet[PointsEntry]:
    """The entries that count towards the level on ``on`` (earned or credited by staff in
    the qualifying window)."""
    since = add_months(on, -qualifying_months())
    return PointsEntry.objects.filter(
        CREDIT,
        customer=customer,
        kind__in=[EntryKind.EARN, EntryKind.ADJUST],
        on__gt=since,
        on__lte=on,
    )


def level_for_points(points: int) -> Level | None:
    return Level.objects.filter(min_points__lte=points).order_by("-min_points").first()


def member_level(*, customer: Customer, on: dt.date) -> Level | None:
    """The customer's level on ``on``: :func:`level_for_points` of
    :func:`qualifying_points`, in one query (an automatic renewal asks for every
    contract it renews)."""
    earned = (
        _qualifying_entries(customer=customer, on=on)
        .values("customer")
        .annotate(total=Sum("points"))
        .values("total")
    )
    return (
        Level.objects.filter(min_points__lte=Coalesce(Subquery(earned), Value(0)))
        .order_by("-min_points")
        .first()
    )


def next_level(*, level: Level | None) -> Level | None:
    floor = level.min_points if level is not None else -1
    return Level.objects.filter(min_points__gt=floor).order_by("min_points").first()


def level_privileges(*, level: Level | None) -> list[Privilege]:
    if level is None:
        return []
    return list(level.privileges.all())


def level_renewal_discount(*, level: Level | None) -> Privilege | None:
    """The level's largest renewal discount privilege, or None."""
    if level is None:
        return None
    return (
        level.privileges.filter(kind=PrivilegeKind.RENEWAL_DISCOUNT, discount_percent__gt=0)
        .order_by("-discount_percent", "id")
        .first()
    )


def pending_renewal_redemptions(*, customer: Customer) -> QuerySet[Redemption]:
    """Renewal discounts redeemed and not used on a quote yet."""
    return Redemption.objects.filter(
        customer=customer, kind="renewal_discount", used_quote_ref=""
    ).order_by("created_at", "id")


def points_history(*, customer: Customer) -> QuerySet[PointsEntry]:
    return PointsEntry.objects.filter(customer=customer).select_related(
        "rule", "redemption__reward", "actor"
    )


def rewards_available() -> QuerySet[Reward]:
    return Reward.objects.filter(is_active=True)


@dataclass
class MemberSummary:
    """What the portal's rewards page and the staff page show at the top."""

    balance: int
    available: int
    qualifying: int
    level: Level | None
    next_level: Level | None
    to_next_level: int
    expiring: int
    expiring_until: dt.date
    privileges: list[Privilege] = field(default_factory=list)


def member_summary(*, customer: Customer, on: dt.date) -> MemberSummary:
    qualifying = qualifying_points(customer=customer, on=on)
    level = level_for_points(qualifying)
    upcoming = next_level(level=level)
    expiring, until = points_expiring(customer=customer, on=on)
    return MemberSummary(
        balance=points_balance(customer=customer),
        available=points_available(customer=customer, on=on),
        qualifying=qualifying,
        level=level,
        next_level=upcoming,
        to_next_level=max(0, upcoming.min_points - qualifying) if upcoming else 0,
        expiring=expiring,
        expiring_until=until,
        privileges=level_privileges(level=level),
    )


@dataclass
class MemberBadge:
    """What the staff customer page shows: points available today and the level."""

    available: int
    level: Level | None


def member_badge(*, customer: Customer, on: dt.date) -> MemberBadge:
    """:func:`points_available` and :func:`member_level` in two queries (one aggregate
    over the ledger, one for the level), for the staff customer page."""
    since = add_months(on, -qualifying_months())
    sums = PointsEntry.objects.filter(customer=customer).aggregate(
        total=Sum("points"),
        expiring=Sum("points", filter=CREDIT & Q(expires_on__isnull=False, expires_on__lte=on)),
        debits=Sum("points", filter=DEBIT),
        qualifying=Sum(
            "points",
            filter=CREDIT
            & Q(kind__in=[EntryKind.EARN, EntryKind.ADJUST], on__gt=since, on__lte=on),
        ),
    )
    due = max(0, int(sums["expiring"] or 0) + int(sums["debits"] or 0))
    return MemberBadge(
        available=int(sums["total"] or 0) - due,
        level=level_for_points(int(sums["qualifying"] or 0)),
    )
