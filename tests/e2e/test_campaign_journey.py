"""Campaigns in Debian's Chromium (issue 16, point 4): a manager writes a portal-message
campaign for a saved segment, checks the preview in Chinese and English for a sample member
and schedules it; the send sweep runs (the service the beat task calls, at an explicit
time); the customer reads the message in the portal and follows its link, whose landing
page posts the click beacon; the report counts sent 1, opened 1, clicked 1.

Screenshots: test-artifacts/campaign-*.png.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from relations.campaign_models import Campaign, CampaignRecipient, CampaignStatus
from relations.campaigns import campaigns_send_due
from relations.segment_criteria import SegmentCriteria
from relations.segment_models import Segment
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    PortalAccountFactory,
    StaffFactory,
    UserFactory,
)

pytestmark = pytest.mark.e2e

PASSWORD = "pw-Secret-123"
CUSTOMER_EMAIL = "li.na@lotus.example"


@pytest.fixture
def book(transactional_db):
    """Alice's book: a tier A customer with a portal login, a tier B one, and her saved
    segment "Tier A"."""
    alice = StaffFactory(username="alice", first_name="Alice", last_name="Wang", language="en")
    lotus = CustomerFactory(account_manager=alice, name="Lotus Tea House", tier="A")
    ContactFactory(customer=lotus, name="Li Na", email=CUSTOMER_EMAIL)
    PortalAccountFactory(
        user=UserFactory(username="lina", email=CUSTOMER_EMAIL, language="en"), customer=lotus
    )
    CustomerFactory(account_manager=alice, name="Jade Print", tier="B")
    segment = Segment.objects.create(
        name="Tier A customers", owner=alice, criteria=SegmentCriteria(tiers=("A",)).to_json()
    )
    return {"alice": alice, "lotus": lotus, "segment": segment}


def _customer_page(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return context, page, errors


def test_a_manager_sends_a_portal_campaign_and_its_report_counts_the_read_and_the_click(
    page, browser, live_server, book, screenshot, staff_login, settings
):
    # The links in the message must lead to this test's server.
    settings.SITE_URL = live_server.url
    staff_login(page, live_server, username="alice", password=PASSWORD)

    # the manager opens Campaigns from the "More" menu and writes one for her segment
    page.get_by_role("button", name="More").click()
    page.get_by_role("link", name="Campaigns").click()
    page.get_by_role("link", name="New campaign").click()
    form = page.locator("#campaign-form")
    form.get_by_label("Name*", exact=True).fill("Spring tea offer")
    form.get_by_label("Segment*", exact=True).select_option(label="Tier A customers")
    form.get_by_label("Channel*", exact=True).select_option("in_app")
    form.get_by_label("Subject (Chinese)").fill("春季续约优惠")
    form.get_by_label("Message (Chinese)").fill("{{ customer_name }}，您好！续约享九折：{{ link }}")
    form.get_by_label("Subject (English)").fill("Spring renewal offer")
    form.get_by_label("Message (English)").fill(
        "Dear {{ customer_name }},\nrenew this spring for 10% off: {{ link }}"
    )
    form.get_by_label("Link", exact=True).fill("/portal/")
    screenshot(page, "campaign-1-write")
    form.get_by_role("button", name="Save draft and preview").click()
    page.wait_for_url(re.compile(r".*/staff/relations/campaigns/\d+/$"))
    campaign = Campaign.objects.get()
    assert campaign.owner == book["alice"] and campaign.status == CampaignStatus.DRAFT

    # then: the preview counts the one tier A customer and renders both languages for her
    preview = page.locator("#campaign-preview")
    assert (
        preview.locator("#member-count")
        .inner_text()
        .startswith("The segment has 1 member today. Shown for Lotus Tea House.")
    )
    chinese = preview.locator("[data-language='zh-hans']")
    assert chinese.locator(".preview-subject").inner_text() == "春季续约优惠"
    assert (
        chinese.locator(".preview-body")
        .inner_text()
        .startswith("Lotus Tea House，您好！续约享九折：")
    )
    english = preview.locator("[data-language='en']")
    assert english.locator(".preview-subject").inner_text() == "Spring renewal offer"
    assert (
        english.locator(".preview-body")
        .inner_text()
        .startswith("Dear Lotus Tea House,\nrenew this spring for 10% off: ")
    )
    assert "Jade Print" not in preview.inner_text()
    screenshot(page, "campaign-2-preview")

    # when: she schedules it for the time the page proposes
    page.locator("#schedule-form").get_by_role("button", name="Schedule").click()
    page.locator("#campaign-status", has_text="Scheduled").wait_for()
    assert page.get_by_text(re.compile(r"Scheduled for \d{4}-\d\d-\d\d \d\d:\d\d\.")).is_visible()
    assert page.locator("#campaign-status").inner_text() == "Scheduled"
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SCHEDULED
    screenshot(page, "campaign-3-scheduled")

    # and the beat sweep runs once it is due (an explicit time, as the task passes now)
    assert campaigns_send_due(now=campaign.scheduled_at - dt.timedelta(minutes=1)) == 0
    assert campaigns_send_due(now=campaign.scheduled_at + dt.timedelta(minutes=1)) == 1
    recipient = CampaignRecipient.objects.get(campaign=campaign)
    assert recipient.customer == book["lotus"] and recipient.message is not None

    # then: the customer finds it in the portal inbox, its link clickable
    context, customer, customer_errors = _customer_page(browser)
    try:
        customer.goto(f"{live_server.url}/portal/login/password/")
        customer.fill("input[name=email]", CUSTOMER_EMAIL)
        customer.fill("input[name=password]", PASSWORD)
        customer.get_by_role("button", name="Log in").click()
        customer.wait_for_url(re.compile(r".*/portal/$"))
        customer.goto(f"{live_server.url}/portal/messages/")
        message = customer.locator("article", has_text="Spring renewal offer")
        assert message.get_by_text("New", exact=True).is_visible()
        link = message.locator(".portal-message-body a")
        assert link.count() == 1
        assert re.fullmatch(
            rf"{re.escape(live_server.url)}/portal/campaigns/go/[^/]+/", link.get_attribute("href")
        )
        screenshot(customer, "campaign-4-portal-inbox")

        # when: she follows it; the landing page's script posts the click beacon
        with customer.expect_response(
            lambda r: r.request.method == "POST" and r.url.endswith("/click/")
        ) as beacon:
            link.click()
        assert beacon.value.status == 204
        customer.wait_for_selector("#campaign-landing[data-click-recorded='1']")
        # The customer sees the subject she got, not the campaign's internal name.
        assert customer.get_by_role("heading", name="Spring renewal offer").is_visible()
        assert customer.get_by_text("Spring tea offer").count() == 0
        screenshot(customer, "campaign-5-landing")
        recipient.refresh_from_db()
        assert recipient.clicked_at is not None

        # and continues to the portal, then marks the message read
        customer.get_by_role("link", name="Continue").click()
        customer.wait_for_url(re.compile(r".*/portal/$"))
        customer.goto(f"{live_server.url}/portal/messages/")
        message.get_by_role("button", name="Mark as read").click()
        customer.wait_for_url(re.compile(r".*/portal/messages/$"))
        assert message.get_by_role("button", name="Mark as read").count() == 0
        assert customer_errors == []
    finally:
        context.close()

    # then: the report shows one sent, opened and clicked
    page.goto(f"{live_server.url}/staff/relations/campaigns/{campaign.pk}/")
    assert page.locator("#campaign-status").inner_text() == "Sent"
    page.get_by_role("link", name="Report").click()
    report = page.locator("#campaign-report")

    def figure(name: str) -> str:
        return report.locator(f"tr[data-figure='{name}'] td").inner_text()

    assert {
        name: figure(name) for name in ("members", "sent", "opened", "clicked", "opted_out")
    } == {"members": "1", "sent": "1", "opened": "1", "clicked": "1", "opted_out": "0"}
    screenshot(page, "campaign-6-report")

    # and in Chinese
    page.select_option("#language-select-staff", "zh-hans")
    # A selector, not wait_for_function: a string predicate is evaluated as script, which
    # the Content Security Policy reports as a console error (unsafe-eval).
    page.locator("html[lang='zh-hans']").wait_for(state="attached")
    assert page.get_by_role("heading", name="营销活动报告: Spring tea offer").is_visible()
    assert report.locator("tr[data-figure='clicked'] th").inner_text() == "已点击"
    assert figure("clicked") == "1"
    screenshot(page, "campaign-7-report-zh")
    page.get_by_role("link", name="返回").click()
    history = page.locator("#campaign-history li")
    assert [re.sub(r"^.*?\d{1,2}:\d{2} · ", "", t) for t in history.all_inner_texts()] == [
        "草稿 → 已排期 · Alice Wang",
        "已排期 → 发送中",
        "发送中 → 已发送",
    ]
    screenshot(page, "campaign-8-sent-zh")
    assert page.js_errors == []
