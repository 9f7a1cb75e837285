"""``{% customer_loyalty_card customer %}`` on the staff customer page: the points available
today, the member level and a link to the customer's loyalty page, in both languages."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from loyalty.models import EntryKind, PointsEntry
from loyalty.selectors import member_badge, member_level, points_available
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 15)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(dt.datetime(2026, 6, 15, 4, 0, tzinfo=dt.UTC), tick=False):
        yield


def _entry(customer, kind, points, on, expires_on=None):
    PointsEntry.objects.create(
        customer=customer, kind=kind, points=points, on=on, expires_on=expires_on, reason="x"
    )


def test_the_badge_agrees_with_the_ledger_selectors(customer, levels):
    # given an old credit past its expiry (150 of it left after the redemption, first
    # in, first out), a recent earning and an adjustment: 1100 available, gold on 1100
    _entry(customer, EntryKind.EARN, 900, dt.date(2026, 3, 1), dt.date(2027, 3, 1))
    _entry(customer, EntryKind.EARN, 250, dt.date(2025, 5, 1), dt.date(2026, 5, 1))
    _entry(customer, EntryKind.ADJUST, 200, dt.date(2026, 4, 1))
    _entry(customer, EntryKind.REDEEM, -100, dt.date(2026, 4, 2))

    badge = member_badge(customer=customer, on=TODAY)

    assert badge.available == points_available(customer=customer, on=TODAY) == 1100
    assert badge.level == member_level(customer=customer, on=TODAY) == levels["gold"]


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["Points available", "Gold", "Points and rewards"]),
        ("zh-hans", ["可用积分", "金卡", "积分与奖励"]),
    ],
)
def test_the_staff_customer_page_shows_points_and_level_with_a_link(
    client, customer, levels, language, words
):
    _entry(customer, EntryKind.ADJUST, 1200, dt.date(2026, 6, 1))
    client.force_login(StaffFactory(is_superuser=True, language=language))
    client.cookies["django_language"] = language

    html = client.get(
        reverse("customers:detail", args=[customer.pk]), HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()

    assert reverse("loyalty:customer", args=[customer.pk]) in html
    assert 'data-testid="loyalty-points">1200<' in html
    for word in words:
        assert word in html


def test_a_customer_without_points_shows_none_yet(client, customer, levels):
    client.force_login(StaffFactory(is_superuser=True, language="en"))
    client.cookies["django_language"] = "en"

    html = client.get(
        reverse("customers:detail", args=[customer.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    assert 'data-testid="loyalty-points">0<' in html
    assert 'data-testid="loyalty-level">None yet<' in html
