from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from tests.factories import ContactFactory, ContractFactory, CustomerFactory, PortalAccountFactory

TODAY = dt.date(2026, 3, 10)


@pytest.fixture(autouse=True)
def _english_by_default():
    """A request in another test may leave its language active in this thread."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def today():
    """Business 'today' for retention tests: 2026-03-10 10:00 Shanghai (a Tuesday)."""
    with time_machine.travel(dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC), tick=False):
        yield TODAY


@pytest.fixture
def customer(db, manager):
    c = CustomerFactory(account_manager=manager, language="en", tier="A")
    ContactFactory(customer=c, email="buyer@example.com")
    return c


@pytest.fixture
def contract(customer, today):
    """An active yearly contract 2026-01-01..2026-12-31, 12 000 CNY, 30 days' notice,
    a fee of 20 % of the remaining value and a pro-rata refund; auto-renew on."""
    c = ContractFactory(
        customer=customer,
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 12, 31),
        total_amount=Decimal("12000.00"),
        annual_value=Decimal("12000.00"),
        notice_period_days=30,
        etf_kind="percent_remaining",
        etf_value=Decimal("20"),
        refund_policy="pro_rata",
    )
    type(c).objects.filter(pk=c.pk).update(auto_renew=True)
    c.refresh_from_db()
    return c


@pytest.fixture
def portal_user(customer):
    return PortalAccountFactory(customer=customer).user
