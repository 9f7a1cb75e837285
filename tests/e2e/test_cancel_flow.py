"""A customer cancels from the portal on a phone (390×844), in Debian's Chromium.

1. Offer declined: early termination with a preview, the one save offer that fits shown
   with "continue to cancel" on the same screen, declined; a final confirmation shows the
   effective date, fee, refund and what happens to the service before anything is sent;
   the account manager confirms in the staff UI on a second "are you sure" page; the
   confirmation email reaches a real SMTP server and the PDF it links to is the
   confirmation.
2. Offer accepted: nothing is cancelled, the request ends "retained" and the contract
   changes as the offer says.

Screenshots: test-artifacts/cancel-*.png.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
import shutil
import subprocess
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.e2e.dates import english_date

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
PASSWORD = "pw-Secret-123"


@pytest.fixture
def browser_context_args():
    # Overrides tests/e2e/conftest.py: a phone.
    return {
        "viewport": PHONE,
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
        "locale": "en-US",
    }


@pytest.fixture
def world(transactional_db, settings, tmp_path):
    from retention.models import RetentionOffer
    from tests.factories import (
        ContactFactory,
        ContractFactory,
        CustomerFactory,
        PortalAccountFactory,
        StaffFactory,
        UserFactory,
    )

    settings.MEDIA_ROOT = str(tmp_path)
    today = timezone.localdate()
    manager = StaffFactory(username="wang", first_name="Wei", last_name="Wang")
    customer = CustomerFactory(
        name="上海远景信息科技有限公司", account_manager=manager, language="en", tier="B"
    )
    ContactFactory(customer=customer, email="buyer@vision.example")
    user = UserFactory(username="buyer", email="buyer@vision.example")
    PortalAccountFactory(user=user, customer=customer)
    contract = ContractFactory(
        customer=customer,
        start_date=today - dt.timedelta(days=100),
        end_date=today + dt.timedelta(days=264),
        total_amount=Decimal("36500.00"),
        annual_value=Decimal("36500.00"),
        notice_period_days=30,
        etf_kind="percent_remaining",
        etf_value=Decimal("20"),
        refund_policy="pro_rata",
    )
    # Auto-renew on: accepting the offer must leave it on, nothing is cancelled.
    type(contract).objects.filter(pk=contract.pk).update(auto_renew=True)
    contract.refresh_from_db()
    offer = RetentionOffer.objects.create(
        code="FREE2",
        title="Two months free",
        description="Stay and we add two months to your contract at no charge.",
        kind="free_months",
        months=2,
        reasons=["budget", "price"],
    )
    return {
        "today": today,
        "manager": manager,
        "customer": customer,
        "user": user,
        "contract": contract,
        "offer": offer,
    }


def portal_login(page, live_server):
    page.goto(f"{live_server.url}/portal/login/password/")
    page.fill("input[name=email]", "buyer@vision.example")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/portal/$"))


def open_cancel_form(page, live_server, contract, screenshot, prefix):
    page.goto(f"{live_server.url}/portal/contracts/{contract.pk}/")
    page.get_by_role("link", name="Cancel / turn off auto-renew").click()
    page.wait_for_url(re.compile(rf".*/portal/contracts/{contract.pk}/cancel/$"))
    screenshot(page, f"{prefix}-1-preview")


def test_a_customer_cancels_declines_the_offer_and_gets_the_confirmation_by_email_and_pdf(
    page, browser, live_server, world, screenshot, smtp_server, staff_login
):
    from retention.models import CancellationRequest, Status

    contract = world["contract"]
    today = world["today"]
    earliest = today + dt.timedelta(days=30)
    portal_login(page, live_server)
    open_cancel_form(page, live_server, contract, screenshot, "cancel-declined")

    # The preview is on the page before anything is submitted.
    preview = page.locator("#preview-early_termination")
    assert english_date(earliest) in preview.inner_text()
    assert "What happens to the service" in preview.inner_text()
    assert CancellationRequest.objects.count() == 0

    page.get_by_role("radio", name="Early termination").check()
    page.get_by_label("Main reason").select_option("budget")
    page.get_by_label("Anything you want to tell us (optional)").fill("预算削减 Budget cut")
    page.get_by_role("button", name="Next").click()
    page.wait_for_url(re.compile(rf".*/portal/contracts/{contract.pk}/cancel/offer/$"))

    # One offer, with "continue to cancel" on the same screen; nothing sent yet.
    offer_box = page.locator("#retention-offer")
    assert offer_box.count() == 1
    assert "Two months free" in offer_box.inner_text()
    assert page.get_by_role("button", name="Accept the offer and keep my contract").is_visible()
    continue_button = page.get_by_role("button", name="No thanks, continue to cancel")
    assert continue_button.is_visible()
    assert CancellationRequest.objects.count() == 0
    screenshot(page, "cancel-declined-2-offer")
    continue_button.click()
    page.wait_for_url(re.compile(rf".*/portal/contracts/{contract.pk}/cancel/confirm/$"))

    # The final confirmation: date, fee, refund and the service, before anything is sent.
    review = page.locator("#cancel-review").inner_text()
    assert english_date(earliest) in review
    assert "Early-termination fee" in review
    assert "Refund" in review
    assert "What happens to the service" in review
    assert CancellationRequest.objects.count() == 0
    screenshot(page, "cancel-declined-3-confirm")
    page.get_by_role("button", name="Confirm cancellation").click()
    page.wait_for_url(re.compile(r".*/portal/cancellations/\d+/$"))
    assert page.locator(".js-request-status").get_attribute("data-status") == "in_review"
    assert page.locator("#retention-offer").count() == 0  # one offer per request
    screenshot(page, "cancel-declined-4-in-review")

    req = CancellationRequest.objects.get()
    assert req.status == Status.IN_REVIEW
    assert req.offer_response == "declined"

    # The account manager confirms in the staff UI (a desktop browser).
    staff_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    staff_page = staff_context.new_page()
    try:
        staff_login(staff_page, live_server, username="wang", password=PASSWORD)
        staff_page.goto(f"{live_server.url}/staff/cancellations/")
        assert contract.number in staff_page.content()
        staff_page.locator(f"a[href='/staff/cancellations/{req.pk}/']").click()
        staff_page.wait_for_url(re.compile(rf".*/staff/cancellations/{req.pk}/$"))
        assert staff_page.locator("input[name=effective_date]").input_value() == (
            earliest.isoformat()
        )
        screenshot(staff_page, "cancel-declined-5-staff-request")
        staff_page.get_by_role("button", name="Confirm with this effective date").click()
        # It asks first (a page, no JS dialog): nothing is confirmed yet.
        staff_page.wait_for_url(re.compile(rf".*/staff/cancellations/{req.pk}/confirm/\?.*"))
        assert english_date(earliest) in staff_page.locator("#confirm-numbers").inner_text()
        req.refresh_from_db()
        assert req.status == Status.IN_REVIEW
        screenshot(staff_page, "cancel-declined-6-staff-asks")
        staff_page.get_by_role("button", name=f"Yes, confirm with {english_date(earliest)}").click()
        staff_page.wait_for_url(re.compile(rf".*/staff/cancellations/{req.pk}/$"))
    finally:
        staff_context.close()

    req.refresh_from_db()
    assert req.status == Status.CONFIRMED
    assert req.effective_date == earliest
    assert req.confirmation_document is not None

    # The customer sees it confirmed, with the PDF.
    page.reload()
    assert page.locator(".js-request-status").get_attribute("data-status") == "confirmed"
    assert page.get_by_role("link", name="Download the confirmation (PDF)").is_visible()
    screenshot(page, "cancel-declined-7-confirmed")

    # The outbox delivers the confirmation to the SMTP server.
    call_command("deliver_messages")
    mails = [
        email.message_from_bytes(m.original_content, policy=email.policy.default)
        for m in smtp_server.messages
        if "buyer@vision.example" in m.rcpt_tos
    ]
    confirmation = next(m for m in mails if "Cancellation confirmed" in m["Subject"])
    body = confirmation.get_body(preferencelist=("plain",)).get_content()
    assert contract.number in confirmation["Subject"]
    assert earliest.isoformat() in body
    path = re.search(r"(/portal/documents/\d+/)", body).group(1)

    # The PDF is attached (the durable-medium copy) ...
    [attachment] = [p for p in confirmation.iter_attachments()]
    assert attachment.get_content_type() == "application/pdf"
    attached = attachment.get_content()
    assert attached.startswith(b"%PDF")

    # ... and the same bytes are downloadable from the portal, with the hash the email states.
    response = page.request.get(f"{live_server.url}{path}")
    assert response.status == 200
    data = response.body()
    assert data.startswith(b"%PDF")
    import hashlib

    assert hashlib.sha256(data).hexdigest() in body
    assert data == attached
    pdftotext = shutil.which("pdftotext")
    if pdftotext:
        text = subprocess.run(  # noqa: S603 - fixed tool reading stdin
            [pdftotext, "-", "-"], input=data, capture_output=True, check=True
        ).stdout.decode()
        assert contract.number in text
    assert not page.js_errors, page.js_errors


def test_a_customer_accepts_the_offer_and_keeps_the_contract_extended(
    page, live_server, world, screenshot
):
    from contracts.models import ContractEvent
    from retention.models import CancellationRequest, Status
    from retention.policy import add_months

    contract = world["contract"]
    old_end = contract.end_date
    portal_login(page, live_server)
    open_cancel_form(page, live_server, contract, screenshot, "cancel-accepted")

    page.get_by_role("radio", name="Do not renew (end at term end)").check()
    page.get_by_label("Main reason").select_option("price")
    page.get_by_role("button", name="Next").click()
    page.wait_for_url(re.compile(rf".*/portal/contracts/{contract.pk}/cancel/offer/$"))
    assert page.get_by_role("button", name="No thanks, continue to cancel").is_visible()
    screenshot(page, "cancel-accepted-2-offer")

    page.get_by_role("button", name="Accept the offer and keep my contract").click()
    page.wait_for_url(re.compile(r".*/portal/cancellations/\d+/$"))
    assert page.locator(".js-request-status").get_attribute("data-status") == "retained"
    assert "Thank you for staying" in page.content()
    assert english_date(add_months(old_end, 2)) in page.locator(".js-contract-end").inner_text()
    screenshot(page, "cancel-accepted-3-retained")

    req = CancellationRequest.objects.get()
    assert req.status == Status.RETAINED
    assert req.offer_response == "accepted"
    contract.refresh_from_db()
    assert contract.end_date == add_months(old_end, 2)
    assert contract.auto_renew is True  # nothing was switched off
    assert ContractEvent.objects.filter(contract=contract, kind="extended").exists()
    assert not page.js_errors, page.js_errors
