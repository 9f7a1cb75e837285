"""The daily sweeps: points expiry and tenure points on contract anniversaries (leap days,
month ends, run twice)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from contracts.models import ContractStatus
from loyalty import selectors
from loyalty.models import EntryKind, PointsEntry
from loyalty.sweeps import expiry_sweep, tenure_sweep
from loyalty.tasks import points_expiry_task, tenure_points_task
from tests.factories import ContractFactory, CustomerFactory

pytestmark = pytest.mark.django_db

D = dt.date


def _contract(customer, start, end, status=ContractStatus.ACTIVE):
    return ContractFactory(customer=customer, start_date=start, end_date=end, status=status)


def test_tenure_points_on_the_anniversary_of_the_first_contract_once(customer, rules):
    _contract(customer, D(2024, 2, 29), D(2025, 2, 27), ContractStatus.RENEWED)
    _contract(customer, D(2025, 2, 28), D(2026, 2, 27))
    late = CustomerFactory()
    _contract(late, D(2024, 6, 1), D(2026, 5, 31))
    summary = tenure_sweep(on=D(2025, 2, 28))
    assert (summary.customers, summary.entries, summary.points) == (1, 1, 200)
    entry = PointsEntry.objects.get(customer=customer)
    assert (entry.on, entry.expires_on) == (D(2025, 2, 28), D(2027, 2, 28))
    assert tenure_sweep(on=D(2025, 3, 1)).entries == 0
    assert tenure_sweep(on=D(2025, 2, 28)).entries == 0


def test_a_missed_anniversary_is_caught_up_within_a_week_only(customer, rules):
    _contract(customer, D(2025, 12, 31), D(2026, 12, 30))
    assert tenure_sweep(on=D(2027, 1, 8)).entries == 0  # 8 days late: left out
    assert tenure_sweep(on=D(2027, 1, 7)).entries == 1


def test_customers_without_an_active_contract_earn_no_tenure(customer, rules):
    _contract(customer, D(2024, 1, 1), D(2024, 12, 31), ContractStatus.EXPIRED)
    assert tenure_sweep(on=D(2025, 1, 1)).entries == 0


def test_the_expiry_sweep_writes_each_customer_off_once(customer, rules):
    other = CustomerFactory()
    for who in (customer, other):
        PointsEntry.objects.create(
            customer=who,
            kind=EntryKind.EARN,
            points=80,
            on=D(2027, 1, 31),
            expires_on=D(2028, 2, 29),
        )
    assert expiry_sweep(on=D(2028, 2, 28)).entries == 0
    summary = expiry_sweep(on=D(2028, 2, 29))
    assert (summary.customers, summary.entries, summary.points) == (2, 2, 160)
    assert expiry_sweep(on=D(2028, 2, 29)).entries == 0
    assert selectors.points_balance(customer=customer) == 0
    history = list(selectors.points_history(customer=customer))
    assert [(e.kind, e.points) for e in history] == [("expire", -80), ("earn", 80)]


def test_the_tasks_run_the_sweeps_for_the_business_date(customer, rules):
    _contract(customer, D(2025, 3, 31), D(2026, 3, 30))
    PointsEntry.objects.create(
        customer=customer,
        kind=EntryKind.EARN,
        points=10,
        on=D(2025, 3, 31),
        expires_on=D(2026, 3, 31),
    )
    # 2026-03-31 00:30 in Shanghai is still 30 March in UTC
    with time_machine.travel(dt.datetime(2026, 3, 30, 16, 30, tzinfo=dt.UTC), tick=False):
        assert tenure_points_task()["points"] == 200
        assert points_expiry_task()["points"] == 10
