"""An e-mail campaign in Debian's Chromium (issue 16, point 4), the parts
test_campaign_journey.py (a portal message) does not walk:

- a customer stops offers and newsletters with the portal's one-click button;
- a manager writes an e-mail campaign for her "Tier A" segment and schedules it; the send
  sweep (the service the beat calls, at an explicit time) queues it through the outbox,
  which delivers it to a real SMTP server (the ``smtp_server`` fixture, aiosmtpd): each
  customer in their own language with an unsubscribe link, and nothing to the customer
  who opted out;
- after it, one recipient renews (case, quote and paper signature through the renewal
  services); the report counts sent 2, opted out 1 and renewals after it 1: neither the
  renewal signed before the campaign nor the opted-out customer's renewal counts.

Dates: the clock is moved to a fixed day (10:00 in Shanghai on 12 April 2027) with
time_machine and runs on from there (``tick=True``); time_machine patches the clock of the
whole process, the live server's thread included. Later days are reached by moving it on.

Screenshots: test-artifacts/campaign-email-*.png.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from email import message_from_bytes
from email.header import decode_header, make_header
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from relations.campaign_models import (
    Campaign,
    CampaignRecipient,
    CampaignStatus,
    MarketingChoice,
    RecipientOutcome,
)
from relations.campaigns import campaigns_send_due
from relations.segment_criteria import SegmentCriteria
from relations.segment_models import Segment
from tests.factories import (
    ContactFactory,
    ContractFactory,
    CustomerFactory,
    PortalAccountFactory,
    StaffFactory,
    UserFactory,
)

pytestmark = pytest.mark.e2e

PASSWORD = "pw-Secret-123"
SH = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2027, 4, 12)
LOTUS = "li.na@lotus.example"
JADE = "wang.fang@jade.example"
PLUM = "zhou.min@plum.example"


@pytest.fixture
def clock(transactional_db) -> Iterator[Any]:
    start = dt.datetime.combine(TODAY, dt.time(10), tzinfo=SH)
    with time_machine.travel(start, tick=True) as traveller:
        yield traveller


@pytest.fixture
def book(clock, settings, tmp_path, live_server):
    """Alice's tier A customers, each with a contract ending in 40 days: Lotus (English),
    Jade (Chinese; renewed today, before any campaign) and Plum (English, with a portal
    login); a tier B customer; her saved segment "Tier A customers"."""
    settings.SITE_URL = live_server.url
    settings.MEDIA_ROOT = str(tmp_path / "media")
    alice = StaffFactory(username="alice", first_name="Alice", last_name="Wang", language="en")
    customers = {}
    for name, email, language in (
        ("Lotus Tea House", LOTUS, "en"),
        ("Jade Print", JADE, "zh-hans"),
        ("Plum Logistics", PLUM, "en"),
    ):
        customer = CustomerFactory(account_manager=alice, name=name, tier="A", language=language)
        ContactFactory(customer=customer, name=name + " contact", email=email)
        ContractFactory(customer=customer, end_date=TODAY + dt.timedelta(days=40))
        customers[name.split()[0].lower()] = customer
    PortalAccountFactory(
        user=UserFactory(username="zhou", email=PLUM, language="en"), customer=customers["plum"]
    )
    CustomerFactory(account_manager=alice, name="Birch Studio", tier="B")
    segment = Segment.objects.create(
        name="Tier A customers", owner=alice, criteria=SegmentCriteria(tiers=("A",)).to_json()
    )
    renew(customers["jade"], alice)  # before the campaign: not a renewal "after it"
    return {"alice": alice, "segment": segment, **customers}


def renew(customer, by):
    """The customer's renewal, through the renewal services: a case, its quote sent, and
    the contract signed on paper now."""
    from renewals import services

    case, _created = services.case_open(contract=customer.contracts.get(), by=by)
    quote = services.quote_send(quote=services.quote_create(case=case, by=by), by=by)
    services.quote_sign_offline(
        quote=quote,
        by=by,
        signer_name="Chen Ming",
        signed_at=timezone.now(),
        scan=b"%PDF-1.4 signed scan",
        filename="signed.pdf",
    )
    case.refresh_from_db()
    assert case.successor is not None
    return case.successor


def mail_to(smtp_server, address) -> list[tuple[str, str]]:
    found = []
    for envelope in smtp_server.messages:
        if address in envelope.rcpt_tos:
            message = message_from_bytes(envelope.content)
            part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            body = payload.decode(part.get_content_charset() or "utf-8")
            subject = str(make_header(decode_header(message["Subject"])))
            found.append((subject, body.replace("\r\n", "\n")))
    return found


def portal_opt_out(browser, live_server, screenshot) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
    context.set_default_timeout(10_000)
    customer = context.new_page()
    errors: list[str] = []
    customer.on("pageerror", lambda exc: errors.append(str(exc)))
    customer.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        customer.goto(f"{live_server.url}/portal/login/password/")
        customer.fill("input[name=email]", PLUM)
        customer.fill("input[name=password]", PASSWORD)
        customer.get_by_role("button", name="Log in").click()
        customer.wait_for_url(re.compile(r".*/portal/$"))
        customer.goto(f"{live_server.url}/portal/preferences/")
        choice = customer.locator("#marketing-choice")
        choice.get_by_role("button", name="Stop offers and newsletters").click()
        customer.wait_for_url(re.compile(r".*/portal/preferences/$"))
        assert customer.get_by_text(
            "You will no longer receive offers and newsletters."
        ).is_visible()
        assert choice.get_by_text("You do not receive offers and newsletters.").is_visible()
        screenshot(customer, "campaign-email-1-opt-out")
        assert errors == []
    finally:
        context.close()


def test_an_email_campaign_reaches_the_smtp_server_skips_the_opted_out_and_counts_renewals(
    page, browser, live_server, book, clock, smtp_server, screenshot, staff_login
):
    from notifications.services import outbox_deliver_due

    # given: the mail so far (Jade's renewal quote) has gone out
    outbox_deliver_due(max_seconds=20)
    smtp_server.messages.clear()
    # and Plum has stopped offers and newsletters in the portal
    portal_opt_out(browser, live_server, screenshot)
    assert MarketingChoice.objects.get(customer=book["plum"]).opted_out is True

    # when: Alice writes an e-mail campaign for her tier A segment
    staff_login(page, live_server, username="alice", password=PASSWORD)
    page.goto(f"{live_server.url}/staff/relations/campaigns/new/")
    form = page.locator("#campaign-form")
    form.get_by_label("Name*", exact=True).fill("Spring renewal mail")
    form.get_by_label("Segment*", exact=True).select_option(label="Tier A customers")
    form.get_by_label("Channel*", exact=True).select_option("email")
    form.get_by_label("Subject (Chinese)").fill("春季续约优惠")
    form.get_by_label("Message (Chinese)").fill("{{ customer_name }}，您好！续约享九折：{{ link }}")
    form.get_by_label("Subject (English)").fill("Spring renewal offer")
    form.get_by_label("Message (English)").fill(
        "Dear {{ customer_name }},\nrenew this spring for 10% off: {{ link }}"
    )
    form.get_by_label("Link", exact=True).fill("/portal/")
    form.get_by_role("button", name="Save draft and preview").click()
    page.wait_for_url(re.compile(r".*/staff/relations/campaigns/\d+/$"))
    campaign = Campaign.objects.get()
    # The preview counts every member, the opted-out one too: the choice applies at sending.
    assert page.locator("#member-count").inner_text().startswith("The segment has 3 members today.")
    screenshot(page, "campaign-email-2-preview")

    # and schedules it for the time the page proposes (the next full hour)
    page.locator("#schedule-form").get_by_role("button", name="Schedule").click()
    page.locator("#campaign-status", has_text="Scheduled").wait_for()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SCHEDULED
    assert campaign.scheduled_at == dt.datetime.combine(TODAY, dt.time(11), tzinfo=SH)

    # and the beat's sweep sends it once due; the outbox delivers to the SMTP server
    assert campaigns_send_due(now=campaign.scheduled_at + dt.timedelta(minutes=1)) == 1
    outbox_deliver_due(max_seconds=20)

    # then: Lotus got it in English, Jade in Chinese, each with a tracked link and an
    # unsubscribe link; Plum got nothing
    [(subject, body)] = mail_to(smtp_server, LOTUS)
    assert subject == "Spring renewal offer"
    assert body.startswith("Dear Lotus Tea House,\nrenew this spring for 10% off: ")
    assert f"{live_server.url}/portal/campaigns/go/" in body
    assert f"{live_server.url}/portal/campaigns/unsubscribe/" in body
    [(subject_zh, body_zh)] = mail_to(smtp_server, JADE)
    assert subject_zh == "春季续约优惠"
    assert body_zh.startswith("Jade Print，您好！续约享九折：")
    assert mail_to(smtp_server, PLUM) == []
    assert len(smtp_server.messages) == 2
    outcomes = dict(
        CampaignRecipient.objects.filter(campaign=campaign).values_list("customer__name", "outcome")
    )
    assert outcomes == {
        "Lotus Tea House": RecipientOutcome.QUEUED,
        "Jade Print": RecipientOutcome.QUEUED,
        "Plum Logistics": RecipientOutcome.OPTED_OUT,
    }

    # when: five days later Lotus renews, and so does Plum (who was not sent to)
    clock.move_to(dt.datetime.combine(TODAY + dt.timedelta(days=5), dt.time(10), tzinfo=SH))
    renew(book["lotus"], book["alice"])
    renew(book["plum"], book["alice"])

    # then: the report: three members, two sent, one opted out, one renewal after it
    page.goto(f"{live_server.url}/staff/relations/campaigns/{campaign.pk}/")
    assert page.locator("#campaign-status").inner_text() == "Sent"
    page.get_by_role("link", name="Report").click()
    report = page.locator("#campaign-report")

    def figure(name: str) -> str:
        return report.locator(f"tr[data-figure='{name}'] td").inner_text()

    assert {
        name: figure(name)
        for name in ("members", "opted_out", "sent", "failed", "renewed", "renewed_contracts")
    } == {
        "members": "3",
        "opted_out": "1",
        "sent": "2",
        "failed": "0",
        "renewed": "1",
        "renewed_contracts": "1",
    }
    assert report.locator("tr[data-figure='opted_out'] th").inner_text() == (
        "Skipped: opted out of marketing"
    )
    assert report.locator("tr[data-figure='renewed'] th").inner_text() == (
        "Customers who renewed or signed within 60 days"
    )
    screenshot(page, "campaign-email-3-report")

    # and in Chinese
    page.select_option("#language-select-staff", "zh-hans")
    page.locator("html[lang='zh-hans']").wait_for(state="attached")
    assert page.locator("h1").inner_text() == "营销活动报告: Spring renewal mail"
    assert figure("opted_out") == "1" and figure("renewed") == "1"
    assert "60" in report.locator("tr[data-figure='renewed'] th").inner_text()
    screenshot(page, "campaign-email-4-report-zh")
    assert page.js_errors == []
