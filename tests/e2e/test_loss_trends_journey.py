"""Why we lose renewals, over months, in Debian's Chromium (issue 16, point 6), the parts
test_loss_analysis.py (one case closed as lost in the browser) does not walk:

- a renewal case lost for its price in March, another lost for no response in May and a
  cancellation confirmed for its price in May (each through the services, on its day)
  appear in the one analysis: the reason table counts and values both kinds, the month
  table and the month × reason trend put each in its month, the tier table in its tier,
  and the "Losses" filter keeps one kind;
- feedback received over three months is summarised by category (received, open,
  resolved, days to resolve) with its monthly trend;
- the same figures in Chinese.

Dates: the clock is moved with time_machine (``tick=True``) to each fixed day on which
something happens (March to June 2027, 10:00 in Shanghai), then to 20 June 2027 for the
analysis, whose twelve months end with June; time_machine patches the clock of the whole
process, the live server's thread included.

Screenshots: test-artifacts/loss-trends-*.png.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.urls import reverse

from contracts.models import Contract
from insights.models import FeedbackCategory, FeedbackSeverity, FeedbackStatus
from renewals.models import LossReason
from retention.models import Channel, Kind, Reason
from tests.factories import ContractFactory, CustomerFactory, StaffFactory

pytestmark = pytest.mark.e2e

PASSWORD = "pw-Secret-123"
SH = ZoneInfo("Asia/Shanghai")
ANALYSIS_DAY = dt.date(2027, 6, 20)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=SH)


@pytest.fixture
def clock(transactional_db) -> Iterator[Any]:
    with time_machine.travel(at(dt.date(2027, 3, 1)), tick=True) as traveller:
        yield traveller


def lose_renewal(customer, *, value: str, reason: str, end: dt.date, by):
    from renewals.services import case_lose, case_open

    contract = cast(
        Contract,
        ContractFactory(customer=customer, end_date=end, annual_value=Decimal(value)),
    )
    case, _created = case_open(contract=contract, by=by)
    return case_lose(case=case, reason=reason, by=by, note="Closed in the journey")


def cancel(customer, *, value: str, reason: str, end: dt.date, by):
    from retention.services import cancellation_confirm, cancellation_submit

    contract = cast(
        Contract,
        ContractFactory(customer=customer, end_date=end, annual_value=Decimal(value)),
    )
    request = cancellation_submit(
        contract=contract, kind=Kind.NON_RENEWAL, reason=reason, by=by, channel=Channel.STAFF
    )
    return cancellation_confirm(request=request, by=by)


def feedback(customer, category: str, subject: str, *, by):
    from insights.feedback import feedback_submit

    return feedback_submit(
        customer=customer,
        by=by,
        category=category,
        severity=FeedbackSeverity.NORMAL,
        subject=subject,
        body=subject + ".",
    )


@pytest.fixture
def history(clock, settings, tmp_path):
    """Lena leads (she sees every book); Mo manages tier B Hangzhou Storage and tier A
    Ningbo Ports, Ann tier A Suzhou Print."""
    from insights.feedback import feedback_set_status

    settings.MEDIA_ROOT = str(tmp_path / "media")
    lead = StaffFactory(username="lena", first_name="Lena", last_name="Lead", language="en")
    lead.user_permissions.add(Permission.objects.get(codename="view_all_books"))
    mo = StaffFactory(username="mo", first_name="Mo", last_name="Manager")
    ann = StaffFactory(username="ann", first_name="Ann", last_name="Zhao")
    hangzhou = CustomerFactory(name="Hangzhou Storage Co", account_manager=mo, tier="B")
    ningbo = CustomerFactory(name="Ningbo Ports Ltd", account_manager=mo, tier="A")
    suzhou = CustomerFactory(name="Suzhou Print Co", account_manager=ann, tier="A")

    # 5 March: Hangzhou's renewal is lost on price (36,000 a year)
    clock.move_to(at(dt.date(2027, 3, 5)))
    lose_renewal(
        hangzhou, value="36000.00", reason=LossReason.PRICE, end=dt.date(2027, 3, 31), by=mo
    )
    # 10 April: a complaint from Hangzhou, resolved two days later
    clock.move_to(at(dt.date(2027, 4, 10)))
    complaint = feedback(hangzhou, FeedbackCategory.COMPLAINT, "Invoices arrive late", by=mo)
    clock.move_to(at(dt.date(2027, 4, 12)))
    feedback_set_status(feedback=complaint, to=FeedbackStatus.RESOLVED, by=mo)
    # 12 May: Suzhou's cancellation for the price is confirmed (24,000 a year)
    clock.move_to(at(dt.date(2027, 5, 12)))
    cancel(suzhou, value="24000.00", reason=Reason.PRICE, end=dt.date(2027, 8, 31), by=ann)
    # 20 May: Ningbo's renewal is lost for no response (10,000 a year); a complaint and a
    # suggestion from Suzhou, still open
    clock.move_to(at(dt.date(2027, 5, 20)))
    lose_renewal(
        ningbo, value="10000.00", reason=LossReason.NO_RESPONSE, end=dt.date(2027, 5, 31), by=mo
    )
    feedback(suzhou, FeedbackCategory.COMPLAINT, "Support does not call back", by=ann)
    feedback(suzhou, FeedbackCategory.SUGGESTION, "A yearly invoice please", by=ann)
    # 3 June: a question from Ningbo, closed the next day
    clock.move_to(at(dt.date(2027, 6, 3)))
    question = feedback(ningbo, FeedbackCategory.QUESTION, "Where is my contract", by=mo)
    clock.move_to(at(dt.date(2027, 6, 4)))
    feedback_set_status(feedback=question, to=FeedbackStatus.CLOSED, by=mo)

    clock.move_to(at(ANALYSIS_DAY))
    return {"lead": lead}


def cells(page, table: str, label: str) -> list[str]:
    """The cells of the row headed ``label`` in the table ``table``."""
    row = page.locator(f"[data-table={table}] tbody tr").filter(
        has=page.locator("th", has_text=re.compile(rf"^{re.escape(label)}$"))
    )
    assert row.count() == 1, f"{table}: {row.count()} rows headed {label!r}"
    return [c.strip() for c in row.locator("td").all_inner_texts()]


def money(text: str) -> str:
    """The amount of a money cell, without the currency."""
    return re.sub(r"[^\d.,]", "", text)


def test_lost_renewals_and_cancellations_by_month_and_tier_with_feedback_in_two_languages(
    page, live_server, history, staff_login, screenshot
):
    staff_login(page, live_server, username="lena", password=PASSWORD)
    page.get_by_role("button", name="More").click()
    page.get_by_role("link", name="Why we lose renewals").click()
    page.get_by_role("heading", name="Why we lose renewals").wait_for()
    assert "From July 2026 to 20 Jun 2027" in page.locator("h1 + p").inner_text()

    # By reason: columns lost renewals, value, cancellations, value, total, total value
    price = cells(page, "reasons", "Price")
    assert [price[0], money(price[1]), price[2], money(price[3]), price[4], money(price[5])] == [
        "1",
        "36,000.00",
        "1",
        "24,000.00",
        "2",
        "60,000.00",
    ]
    no_response = cells(page, "reasons", "No response")
    assert (no_response[0], money(no_response[1]), no_response[2]) == ("1", "10,000.00", "0")
    total = cells(page, "reasons", "Total")
    assert (total[0], total[2], total[4], money(total[5])) == ("2", "1", "3", "70,000.00")
    screenshot(page, "loss-trends-1-reasons")

    # By month: each loss in its month, the others empty
    march, may = cells(page, "months", "2027-03"), cells(page, "months", "2027-05")
    assert (march[0], money(march[1]), march[2], march[4]) == ("1", "36,000.00", "0", "1")
    assert (may[0], money(may[1]), may[2], money(may[3]), may[4]) == (
        "1",
        "10,000.00",
        "1",
        "24,000.00",
        "2",
    )
    for month in ("2026-07", "2027-04", "2027-06"):
        assert cells(page, "months", month)[4] == "0", month
    assert page.locator("[data-table=months] tbody tr").count() == 12

    # Reasons by month: the columns are the reasons, in the table's order
    headers = page.locator("[data-table=trend] thead th").all_inner_texts()
    trend = {
        month: dict(zip(headers[1:], cells(page, "trend", month), strict=True))
        for month in ("2027-03", "2027-04", "2027-05")
    }
    assert (trend["2027-03"]["Price"], trend["2027-03"]["No response"]) == ("1", "0")
    assert set(trend["2027-04"].values()) == {"0"}
    assert (trend["2027-05"]["Price"], trend["2027-05"]["No response"]) == ("1", "1")

    # By tier: B lost a renewal; A a renewal and a cancellation
    tier_a, tier_b = cells(page, "tiers", "A"), cells(page, "tiers", "B")
    assert (tier_a[0], tier_a[2], money(tier_a[5])) == ("1", "1", "34,000.00")
    assert (tier_b[0], tier_b[2], money(tier_b[5])) == ("1", "0", "36,000.00")
    assert cells(page, "tiers", "C")[4] == "0"
    screenshot(page, "loss-trends-2-months-tiers")

    # Feedback by category: received, open, resolved, average days to resolve
    assert cells(page, "feedback", "Complaint") == ["2", "1", "1", "2.0"]
    assert cells(page, "feedback", "Suggestion") == ["1", "1", "0", "—"]
    assert cells(page, "feedback", "Question") == ["1", "0", "1", "1.0"]
    assert cells(page, "feedback", "Total") == ["4", "2", "2", "1.5"]
    # and its trend: each month's items by category, then total, open, resolved
    fb_headers = page.locator("[data-table=feedback_months] thead th").all_inner_texts()
    april, may_fb, june = (
        dict(zip(fb_headers[1:], cells(page, "feedback_months", m), strict=True))
        for m in ("2027-04", "2027-05", "2027-06")
    )
    assert (april["Complaint"], april["Total"], april["Resolved"]) == ("1", "1", "1")
    assert (may_fb["Complaint"], may_fb["Suggestion"], may_fb["Total"], may_fb["Open"]) == (
        "1",
        "1",
        "2",
        "2",
    )
    assert (june["Question"], june["Total"], june["Resolved"]) == ("1", "1", "1")
    page.locator("#feedback").scroll_into_view_if_needed()
    screenshot(page, "loss-trends-3-feedback")

    # Only the cancellations: the renewal columns empty
    page.get_by_label("Losses").select_option("cancellation")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r".*source=cancellation.*"))
    price = cells(page, "reasons", "Price")
    assert (price[0], price[2], price[4]) == ("0", "1", "1")
    assert cells(page, "months", "2027-03")[4] == "0"
    assert cells(page, "tiers", "B")[4] == "0"
    assert page.js_errors == []

    # In Chinese, the same analysis
    lead = history["lead"]
    lead.language = "zh-hans"
    lead.save()
    page.goto(live_server.url + reverse("insights:losses"))
    page.get_by_role("heading", name="流失原因分析").wait_for()
    zh_price = cells(page, "reasons", "价格")
    assert (zh_price[0], zh_price[2], zh_price[4], money(zh_price[5])) == (
        "1",
        "1",
        "2",
        "60,000.00",
    )
    assert cells(page, "reasons", "无回应")[0] == "1"
    assert page.locator("#table-months h2").inner_text() == "按月"
    assert page.locator("#table-trend h2").inner_text() == "各月流失原因"
    assert page.locator("#table-tiers h2").inner_text() == "按客户等级"
    assert cells(page, "months", "2027-05")[4] == "2"
    zh_headers = page.locator("[data-table=trend] thead th").all_inner_texts()
    assert dict(zip(zh_headers[1:], cells(page, "trend", "2027-05"), strict=True))["价格"] == "1"
    assert page.locator("#table-feedback h2").inner_text() == "按类别统计的反馈"
    assert cells(page, "feedback", "投诉") == ["2", "1", "1", "2.0"]
    assert cells(page, "feedback", "建议")[0] == "1"
    assert page.locator("#table-feedback_months h2").inner_text() == "按月统计的反馈"
    screenshot(page, "loss-trends-4-zh")
    assert page.js_errors == []
