"""A member in the portal, in Debian's Chromium: the Rewards page shows their points,
level, privileges and history with expiry dates; a reward is redeemed after a
confirmation page; the renewal offer shows the level's discount with its reason.

Screenshots: test-artifacts/loyalty-*.png.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.e2e.dates import english_date

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-Secret-123"


@pytest.fixture
def member(transactional_db, settings, tmp_path):
    from contracts.models import ContractLine
    from loyalty import services as loyalty
    from loyalty.models import EarnRule, Level, Privilege, Reward, Trigger
    from renewals import services
    from tests.factories import (
        ContactFactory,
        ContractFactory,
        CustomerFactory,
        PlanFactory,
        PortalAccountFactory,
        StaffFactory,
        UserFactory,
    )

    settings.MEDIA_ROOT = str(tmp_path)
    today = timezone.localdate()
    manager = StaffFactory(username="zhou")
    customer = CustomerFactory(name="Nanjing Lianhe Ltd", account_manager=manager, language="en")
    ContactFactory(customer=customer, email="it@lianhe.example")
    PortalAccountFactory(
        user=UserFactory(username="it", email="it@lianhe.example"), customer=customer
    )
    gold = Level.objects.create(code="gold", name="金卡", name_en="Gold", min_points=1000)
    Privilege.objects.create(level=gold, kind="renewal_discount", discount_percent=Decimal("5"))
    Privilege.objects.create(level=gold, kind="priority_sla", response_hours=4)
    Reward.objects.create(
        code="checkup", name="上门巡检", name_en="On-site check-up", kind="service", points_cost=300
    )
    EarnRule.objects.create(
        code="renewal",
        name="续约",
        name_en="Renewal",
        trigger=Trigger.RENEWAL,
        points=1200,
        expiry_months=24,
    )
    loyalty.points_earn(
        customer=customer, trigger=Trigger.RENEWAL, subject="contract:earlier", on=today
    )
    plan = PlanFactory(code="PRO", name="Pro plan", price=Decimal("1000.00"))
    end = today + dt.timedelta(days=30)
    contract = ContractFactory(
        customer=customer,
        plan=plan,
        start_date=end - dt.timedelta(days=364),
        end_date=end,
        total_amount=Decimal("12000.00"),
        with_line=False,
    )
    ContractLine.objects.create(
        contract=contract,
        plan=plan,
        description="Pro plan, 12 months",
        quantity=1,
        unit_price=Decimal("12000.00"),
    )
    case, _ = services.case_open(contract=contract, by=manager)
    quote = services.quote_create(case=case, by=manager)
    services.quote_send(quote=quote, by=manager)
    return {"contract": contract, "customer": customer, "today": today}


def test_a_member_sees_points_and_level_redeems_and_gets_the_privilege_on_the_quote(
    member, live_server, page, screenshot
):
    from loyalty.models import EarnRule, PointsEntry, Redemption
    from loyalty.services import expiry_date

    page.goto(f"{live_server.url}/portal/login/password/")
    page.fill("input[name=email]", "it@lianhe.example")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/portal/$"))

    # the Rewards page: points, level, privileges, history with the expiry date
    page.get_by_role("link", name="Rewards").click()
    page.wait_for_url(re.compile(r".*/portal/rewards/$"))
    assert page.locator("#points-available").inner_text() == "1200"
    assert "Gold" in page.locator("#member-level").inner_text()
    assert "5% off your renewals" in page.locator("#privileges").inner_text()
    expires = expiry_date(rule=EarnRule.objects.get(code="renewal"), on=member["today"])
    history = page.locator("#points-history").inner_text()
    assert "+1200" in history and english_date(expires) in history
    screenshot(page, "loyalty-1-rewards")

    # redeem a reward: a confirmation page first (nothing spent), then the ledger row
    page.get_by_role("link", name="Redeem").click()
    assert "1200" in page.get_by_text("points available").inner_text()
    assert not Redemption.objects.exists()
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(re.compile(r".*/portal/rewards/$"))
    assert page.locator("#points-available").inner_text() == "900"
    assert "Gold" in page.locator("#member-level").inner_text()  # spending keeps the level
    assert PointsEntry.objects.filter(kind="redeem", points=-300).count() == 1
    screenshot(page, "loyalty-2-redeemed")

    # the renewal offer shows the level's discount and why
    page.goto(f"{live_server.url}/portal/contracts/{member['contract'].pk}/renewal/")
    table = page.locator(".diff-table").inner_text()
    assert "Renewal discount" in table
    assert "Member benefit: 5% off: member renewal discount (Gold)" in table
    screenshot(page, "loyalty-3-quote")
    assert page.js_errors == []
