"""Races on one customer's ledger, on real PostgreSQL: two redemptions at once cannot
overdraw, and the same occasion told twice at once earns once."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection

from core.errors import DomainError
from loyalty import selectors, services
from loyalty.models import EarnRule, EntryKind, PointsEntry, Reward, RewardKind, Trigger
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)

ON = dt.date(2026, 6, 30)


def _race(work: Callable[[], str]) -> list[str]:
    barrier = threading.Barrier(2)
    results: list[str] = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(work())
        except DomainError:
            results.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return sorted(results)


@pytest.mark.parametrize("round_", range(3))
def test_two_redemptions_at_once_cannot_overdraw(round_):
    customer = CustomerFactory()
    PointsEntry.objects.create(
        customer=customer, kind=EntryKind.ADJUST, points=500, on=ON, reason="opening"
    )
    reward = Reward.objects.create(
        code=f"r{round_}",
        name="服务",
        kind=RewardKind.SERVICE,
        points_cost=300,
        discount_percent=Decimal("0"),
    )

    def redeem() -> str:
        services.reward_redeem(customer=customer, reward=reward, on=ON)
        return "ok"

    assert _race(redeem) == ["ok", "refused"]
    assert selectors.points_balance(customer=customer) == 200


@pytest.mark.parametrize("round_", range(3))
def test_the_same_occasion_told_twice_at_once_earns_once(round_):
    customer = CustomerFactory()
    EarnRule.objects.create(
        code=f"renewal-{round_}", name="续约", trigger=Trigger.RENEWAL, points=100
    )

    def earn() -> str:
        entries = services.points_earn(
            customer=customer, trigger=Trigger.RENEWAL, subject="contract:7", on=ON
        )
        return f"earned {len(entries)}"

    assert _race(earn) == ["earned 0", "earned 1"]
    assert selectors.points_balance(customer=customer) == 100
