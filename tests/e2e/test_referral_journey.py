"""Referral in a real browser (issue 16 point 3): a customer invites a contact from the
portal's Rewards page; the invitation e-mail goes through the outbox to a real SMTP
server with the referral code; staff record the new customer's code on its loyalty page
and the contract they sign becomes active (the services staff use); the referrer then
sees the referral rule's points in the portal's points history, and the invitation as
signed.

Dates: the live server reads the real clock, so the contract starts today and every date
asserted is counted from ``timezone.localdate()``.

Screenshots: test-artifacts/referral-*.png.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from email import message_from_bytes
from email.header import decode_header, make_header

import pytest
from django.utils import timezone

from tests.e2e.dates import english_date

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-Secret-123"
CONTACT = "wang.wei@suzhou-tech.example"


@pytest.fixture
def world(transactional_db, settings):
    from loyalty.models import EarnRule, Trigger
    from tests.factories import (
        ContactFactory,
        CustomerFactory,
        PortalAccountFactory,
        StaffFactory,
        UserFactory,
    )

    settings.SITE_URL = "https://renewdesk.example"
    manager = StaffFactory(username="zhou", first_name="Zhou", language="en")
    referrer = CustomerFactory(name="Nanjing Lianhe Ltd", account_manager=manager, language="en")
    ContactFactory(customer=referrer, email="it@lianhe.example")
    PortalAccountFactory(
        user=UserFactory(username="it", email="it@lianhe.example", language="en"),
        customer=referrer,
    )
    EarnRule.objects.create(
        code="referral",
        name="推荐",
        name_en="Referral",
        trigger=Trigger.REFERRAL,
        points=300,
        expiry_months=0,
    )
    return {"manager": manager, "referrer": referrer}


def _mail_to(smtp_server, address):
    found = []
    for envelope in smtp_server.messages:
        if address in envelope.rcpt_tos:
            message = message_from_bytes(envelope.content)
            part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
            body = part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
            found.append((str(make_header(decode_header(message["Subject"]))), body))
    return found


def test_a_customer_invites_a_contact_who_signs_and_the_referrer_sees_the_points(
    world, live_server, page, browser, smtp_server, screenshot, staff_login
):
    from contracts import services as contracts
    from customers.services import customer_create
    from loyalty.models import PointsEntry, Referral
    from notifications.services import outbox_deliver_due

    today = timezone.localdate()

    # 1. the customer invites a contact from the Rewards page
    page.goto(f"{live_server.url}/portal/login/password/")
    page.fill("input[name=email]", "it@lianhe.example")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/portal/$"))
    page.get_by_role("link", name="Rewards").click()
    page.wait_for_url(re.compile(r".*/portal/rewards/$"))
    page.get_by_role("link", name="Invite a contact").click()
    page.wait_for_url(re.compile(r".*/portal/rewards/referrals/$"))
    page.get_by_label("Their name").fill("Wang Wei")
    page.get_by_label("Their e-mail address").fill(CONTACT)
    page.get_by_label("Company (optional)").fill("Suzhou Tech Ltd")
    page.get_by_role("button", name="Invite").click()
    page.wait_for_url(re.compile(r".*/portal/rewards/referrals/$"))
    referral = Referral.objects.get(referrer=world["referrer"])
    assert f"We e-mailed Wang Wei an invitation with your referral code {referral.token}" in (
        page.locator(".alert-success, [role=alert], .alert").first.inner_text()
    )
    invited = page.locator("#referrals").inner_text()
    assert CONTACT in invited and referral.token in invited and "Invited" in invited
    screenshot(page, "referral-1-invited")

    # 2. the outbox delivers the invitation to the contact, with the code
    outbox_deliver_due(max_seconds=20)
    [(subject, body)] = _mail_to(smtp_server, CONTACT)
    assert subject == "Nanjing Lianhe Ltd invites you to RenewDesk"
    assert "Hello Wang Wei," in body
    assert f"Your referral code: {referral.token}" in body
    assert "https://renewdesk.example" in body

    # 3. the contact becomes a customer; staff record the code they mention
    manager = world["manager"]
    newcomer = customer_create(
        by=manager,
        code="SZT001",
        name="Suzhou Tech Ltd",
        account_manager=manager,
        language="en",
        contact={"name": "Wang Wei", "email": "procurement@suzhou-tech.example"},
    )
    staff = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    staff_page = staff.new_page()
    staff_login(staff_page, live_server, username="zhou", password=PASSWORD)
    staff_page.goto(f"{live_server.url}/staff/loyalty/customers/{newcomer.pk}/")
    staff_page.get_by_label("Referral code").fill(referral.token.lower())
    staff_page.get_by_role("button", name="Record").click()
    assert staff_page.get_by_text(
        "Referral recorded: Nanjing Lianhe Ltd earns points when this customer signs."
    ).is_visible()
    screenshot(staff_page, "referral-2-staff-linked")
    staff.close()
    assert not PointsEntry.objects.exists()  # nothing until they sign

    # ... and their first contract is signed and paid: it becomes active today
    contract = contracts.contract_create_draft(
        customer=newcomer,
        by=manager,
        start_date=today,
        end_date=today + dt.timedelta(days=364),
        lines=[
            contracts.LineSpec(
                description="Pro plan, 12 months",
                quantity=Decimal("1"),
                unit_price=Decimal("12000"),
            )
        ],
    )
    contracts.contract_send_for_signature(contract=contract, by=manager)
    contracts.contract_record_signature(contract=contract, by=manager)
    contract = contracts.contract_record_first_payment(contract=contract, by=manager, today=today)
    assert contract.status == "active"

    # 4. the referrer sees the points in the portal's history, and the invitation signed
    [entry] = PointsEntry.objects.filter(customer=world["referrer"])
    assert (entry.kind, entry.points, entry.on, entry.expires_on) == ("earn", 300, today, None)
    page.get_by_role("link", name="Rewards", exact=True).click()
    page.wait_for_url(re.compile(r".*/portal/rewards/$"))
    assert page.locator("#points-available").inner_text() == "300"
    row = page.locator("#points-history tbody tr").first.inner_text()
    assert english_date(today) in row and "+300" in row
    assert "Suzhou Tech Ltd" in row
    screenshot(page, "referral-3-points")
    page.get_by_role("link", name="Invite a contact").click()
    assert "Signed" in page.locator("#referrals").inner_text()
    assert page.js_errors == []
