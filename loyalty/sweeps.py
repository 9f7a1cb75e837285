"""The daily loyalty sweeps: points that expire, and the contract anniversaries that earn
tenure points. Both are safe to run twice (the expiry is computed from the ledger under
the customer's lock; a tenure earning has a dedupe key) and both take the date to run for,
so an operator can catch up a missed day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Min

from contracts.models import Contract, ContractStatus
from customers.models import Customer

from .models import EarnRule, PointsEntry, Trigger
from .services import (
    SIGNED_STATUSES,
    anniversary,
    customers_with_expiring_points,
    points_expire,
    points_on_tenure,
    tenure_years,
)

# An anniversary up to this many days old still earns (the sweep missed a few days).
TENURE_CATCH_UP_DAYS = 7


@dataclass
class SweepSummary:
    customers: int = 0
    entries: int = 0
    points: int = 0


def expiry_sweep(*, on: dt.date) -> SweepSummary:
    """Write off every customer's points due to expire by ``on``."""
    summary = SweepSummary()
    ids = customers_with_expiring_points(on=on)
    for customer in Customer.objects.filter(pk__in=ids).order_by("pk").iterator(chunk_size=500):
        summary.customers += 1
        entry = points_expire(customer=customer, on=on)
        if entry is not None:
            summary.entries += 1
            summary.points += -entry.points
    return summary


def tenure_sweep(*, on: dt.date) -> SweepSummary:
    """Customers with an active contract whose anniversary as a customer (the start of
    their first signed contract) fell in the last few days earn the tenure rules' points.
    One query for the candidates, one for the keys already earned."""
    summary = SweepSummary()
    rules = list(EarnRule.objects.filter(trigger=Trigger.TENURE, is_active=True))
    if not rules:
        return summary
    firsts = (
        Contract.objects.filter(status__in=SIGNED_STATUSES)
        .values("customer_id")
        .annotate(since=Min("start_date"))
        .filter(
            customer_id__in=Contract.objects.filter(status=ContractStatus.ACTIVE).values(
                "customer_id"
            )
        )
    )
    due: dict[int, tuple[dt.date, int]] = {}
    for row in firsts.iterator(chunk_size=2000):
        years = tenure_years(since=row["since"], on=on)
        if years < 1:
            continue
        if (on - anniversary(row["since"], years)).days <= TENURE_CATCH_UP_DAYS:
            due[row["customer_id"]] = (row["since"], years)
    if not due:
        return summary
    wanted = {
        cid: {f"{rule.code}:customer:{cid}:year:{years}" for rule in rules}
        for cid, (_since, years) in due.items()
    }
    done = set(
        PointsEntry.objects.filter(
            dedupe_key__in=[key for keys in wanted.values() for key in keys]
        ).values_list("dedupe_key", flat=True)
    )
    todo = [cid for cid, keys in wanted.items() if not keys <= done]
    for customer in Customer.objects.filter(pk__in=todo).order_by("pk"):
        since, _years = due[customer.pk]
        summary.customers += 1
        for entry in points_on_tenure(customer=customer, since=since, on=on):
            summary.entries += 1
            summary.points += entry.points
    return summary
