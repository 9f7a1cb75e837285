"""The staff loyalty page of a customer reads cleanly: a redemption row has no dangling
separator when a field is empty, and a privilege is said once (its kind and figure; its
description only where there is no figure to show)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from loyalty.models import Privilege, PrivilegeKind, Reward, RewardKind
from loyalty.services import points_adjust, reward_redeem
from tests.factories import PlanFactory, StaffFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 21)


@pytest.fixture
def page(client, customer, levels, discount_reward):
    Privilege.objects.filter(level=levels["silver"]).update(
        description="续约 97 折", description_en="3% off every renewal"
    )
    Privilege.objects.create(
        level=levels["silver"],
        kind=PrivilegeKind.EXTRA_SERVICE,
        plan=PlanFactory(name="Annual health check"),
        quantity=Decimal("1"),
        description_en="One health check a year",
    )
    training = Reward.objects.create(
        code="training",
        name="上门培训一次",
        name_en="One on-site training session",
        kind=RewardKind.SERVICE,
        points_cost=400,
    )
    staff = StaffFactory(is_superuser=True, language="en")
    with time_machine.travel(dt.datetime(2026, 11, 21, 10, 0, tzinfo=dt.UTC), tick=False):
        points_adjust(customer=customer, points=900, reason="Welcome", by=staff, on=TODAY)
        reward_redeem(customer=customer, reward=training, on=TODAY, by=staff)
        reward_redeem(customer=customer, reward=discount_reward, on=TODAY, by=staff)
        client.force_login(staff)
        return client.get(reverse("loyalty:customer", args=[customer.pk])).content.decode()


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_a_redemption_row_has_no_dangling_separator(page):
    box = page[page.index("Redemptions") :]
    rows = [_text(r) for r in re.findall(r'<li class="list-group-item small">(.*?)</li>', box)]
    training = next(r for r in rows if "training" in r)
    discount = next(r for r in rows if "renewal" in r)
    assert not training.endswith("·"), training
    assert training == "21 Nov 2026 · One on-site training session · 400 points"
    assert discount.endswith("· waiting for the next quote")
    assert "· ·" not in " ".join(rows)


def test_a_privilege_is_said_once(page):
    summary = page[page.index('id="member-summary"') :]
    items = [_text(i) for i in re.findall(r"<li>(.*?)</li>", summary[: summary.index("</ul>")])]
    assert "Renewal discount: 3%" in items
    assert not any("3% off every renewal" in i for i in items)
    # No figure for an extra service: its description says what it is.
    assert "Extra service: One health check a year" in items
