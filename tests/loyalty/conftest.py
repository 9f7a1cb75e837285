from __future__ import annotations

from decimal import Decimal

import pytest

from loyalty.models import EarnRule, Level, Privilege, PrivilegeKind, Reward, RewardKind, Trigger
from tests.factories import CustomerFactory


@pytest.fixture
def rules(db):
    """One rule per occasion; on-time payment earns 1 point per 100 CNY."""
    return {
        Trigger.ON_TIME_PAYMENT: EarnRule.objects.create(
            code="on-time",
            name="按时付款",
            name_en="Paid on time",
            trigger=Trigger.ON_TIME_PAYMENT,
            points=1,
            per_amount=Decimal("100"),
            expiry_months=12,
        ),
        Trigger.RENEWAL: EarnRule.objects.create(
            code="renewal",
            name="续约",
            name_en="Renewal",
            trigger=Trigger.RENEWAL,
            points=500,
            expiry_months=24,
        ),
        Trigger.TENURE: EarnRule.objects.create(
            code="tenure",
            name="合作周年",
            name_en="Anniversary",
            trigger=Trigger.TENURE,
            points=200,
            expiry_months=24,
        ),
        Trigger.REFERRAL: EarnRule.objects.create(
            code="referral",
            name="推荐",
            name_en="Referral",
            trigger=Trigger.REFERRAL,
            points=300,
            expiry_months=0,
        ),
    }


@pytest.fixture
def levels(db):
    silver = Level.objects.create(code="silver", name="银卡", name_en="Silver", min_points=300)
    gold = Level.objects.create(code="gold", name="金卡", name_en="Gold", min_points=1000)
    Privilege.objects.create(
        level=silver, kind=PrivilegeKind.RENEWAL_DISCOUNT, discount_percent=Decimal("3")
    )
    Privilege.objects.create(
        level=gold, kind=PrivilegeKind.RENEWAL_DISCOUNT, discount_percent=Decimal("5")
    )
    Privilege.objects.create(level=gold, kind=PrivilegeKind.PRIORITY_SLA, response_hours=4)
    return {"silver": silver, "gold": gold}


@pytest.fixture
def discount_reward(db):
    return Reward.objects.create(
        code="renew-2",
        name="续约再减 2%",
        name_en="2% off the next renewal",
        kind=RewardKind.RENEWAL_DISCOUNT,
        points_cost=400,
        discount_percent=Decimal("2"),
    )


@pytest.fixture
def customer(db):
    return CustomerFactory(name="杭州示例网络有限公司")
