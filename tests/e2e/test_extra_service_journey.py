"""A gold member's extra service on their renewal quote, in Debian's Chromium (issue 16
point 3): the account manager prepares the quote and finds the level's service on it as a
complimentary line with the reason; the customer sees the same line and reason on the
portal's renewal page; both in English and in Chinese.

Screenshots: test-artifacts/extra-service-*.png.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-Secret-123"
LINE = "A system health check every quarter (complimentary: member privilege of the Gold level)"
REASON_EN = (
    "Member benefit: Included free of charge: A system health check every quarter, "
    "member extra service (Gold)"
)
REASON_ZH = "会员优惠: 免费提供：每季度一次系统健康检查（金卡专享服务）"


@pytest.fixture
def member(transactional_db, settings, tmp_path):
    from contracts.models import ContractLine
    from loyalty.models import EntryKind, Level, PointsEntry, Privilege, PrivilegeKind
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
    health_check = PlanFactory(
        code="SVC-HEALTH", name="系统健康检查", price=Decimal("800.00"), billing_period="quarterly"
    )
    gold = Level.objects.create(code="gold", name="金卡", name_en="Gold", min_points=1000)
    Privilege.objects.create(
        level=gold, kind=PrivilegeKind.RENEWAL_DISCOUNT, discount_percent=Decimal("5")
    )
    Privilege.objects.create(
        level=gold,
        kind=PrivilegeKind.EXTRA_SERVICE,
        plan=health_check,
        description="每季度一次系统健康检查",
        description_en="A system health check every quarter",
    )
    PointsEntry.objects.create(
        customer=customer, kind=EntryKind.ADJUST, points=1200, on=today, reason="welcome"
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
    return {"contract": contract, "case": case}


def test_a_gold_members_quote_shows_the_complimentary_service_to_staff_and_customer(
    member, live_server, page, screenshot, staff_login
):
    from renewals.models import Quote

    case_url = live_server.url + reverse("renewals:case", args=[member["case"].pk])

    # the account manager prepares the quote: the service is a free line, with its reason
    staff_login(page, live_server, username="zhou", password=PASSWORD)
    page.goto(case_url)
    page.get_by_role("button", name="Prepare the renewal quote").click()
    # the quote builder: the line is there to keep (or remove on purpose)
    page.wait_for_url(re.compile(r".*/cases/\d+/quote/edit/$"))
    assert LINE in [
        page.locator(f"input[name=lines-{i}-description]").input_value() for i in range(2)
    ]
    assert REASON_EN in page.locator(".diff-table").inner_text()
    screenshot(page, "extra-service-1-quote-builder")
    page.goto(case_url)
    table = page.locator(".diff-table")
    free = table.locator("tr", has_text=LINE)
    assert free.count() == 1
    assert "0.00" in free.inner_text() and "added" in free.inner_text()
    assert REASON_EN in table.inner_text()
    quote = Quote.objects.get(case=member["case"])
    assert quote.total == Decimal("11400.00")  # 5% off the paid line; the service is free
    screenshot(page, "extra-service-2-staff-case")
    page.get_by_role("button", name="Send to the customer").click()
    page.wait_for_url(re.compile(r".*/cases/\d+/$"))

    # the customer sees the same on the portal's renewal page
    page.goto(f"{live_server.url}/portal/login/password/")
    page.fill("input[name=email]", "it@lianhe.example")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/portal/$"))
    page.goto(f"{live_server.url}/portal/contracts/{member['contract'].pk}/renewal/")
    table = page.locator(".diff-table")
    assert table.locator("tr", has_text=LINE).count() == 1
    assert REASON_EN in table.inner_text()
    screenshot(page, "extra-service-3-portal-quote")

    # in Chinese: the reason in the reader's language (the line is the customer's text)
    page.locator("button[name=language][value=zh-hans]").click()
    page.wait_for_selector("html[lang=zh-hans]")
    table = page.locator(".diff-table")
    assert REASON_ZH in table.inner_text()
    assert table.locator("tr", has_text=LINE).count() == 1
    screenshot(page, "extra-service-4-portal-quote-zh")

    # and on the staff case page in Chinese
    staff_login(page, live_server, username="zhou", password=PASSWORD)
    page.goto(case_url)
    page.wait_for_selector("html[lang=zh-hans]")
    assert REASON_ZH in page.locator(".diff-table").inner_text()
    screenshot(page, "extra-service-5-staff-case-zh")
    assert page.js_errors == []
