from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from contracts.models import ContractStatus
from relations.models import ContactCadence
from tests.factories import ContractFactory, CustomerFactory, StaffFactory


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    """An aware datetime on a business day, in the configured zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.fixture
def in_care():
    """A customer of a given manager with a contract in force (ending well after any test
    date, so no clock is read)."""

    def make(manager=None, tier="A", **kwargs):
        customer = CustomerFactory(account_manager=manager or StaffFactory(), tier=tier, **kwargs)
        ContractFactory(
            customer=customer, status=ContractStatus.ACTIVE, end_date=dt.date(2031, 12, 31)
        )
        return customer

    return make


@pytest.fixture
def gold_cadences(db):
    """Tier A: a call every 30 days, a visit every 3 months, both planned 14 days ahead."""
    return [
        ContactCadence.objects.create(tier="A", kind="call", every=30, unit="days"),
        ContactCadence.objects.create(
            tier="A", kind="visit", every=3, unit="months", estimate_minutes=120
        ),
    ]
