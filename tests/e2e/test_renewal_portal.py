"""A customer renews from the portal, in Debian's Chromium, starting from a real email.

1. The daily reminder sweep emails the customer; the email reaches an SMTP server in this
   test and its "Renew" link is followed.
2. The link opens a confirmation page (GET changes nothing); the customer confirms
   "renew as is", reviews the quote and its differences, ticks acceptance, types their
   name and signs; the invoice is shown with the bank transfer details.
3. The account manager records the bank transfer on the case page of the staff UI.
4. The successor is scheduled; at the end of the term it becomes active and the
   predecessor ends as renewed.

Screenshots: test-artifacts/renewal-*.png.
"""

from __future__ import annotations

import datetime as dt
import email
import re
from decimal import Decimal
from email import policy

import pytest
from django.utils import timezone

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-Secret-123"


@pytest.fixture
def world(transactional_db, settings, tmp_path):
    from contracts.models import ContractLine, PlanPrice
    from renewals import services
    from tests.factories import (
        ContactFactory,
        ContractFactory,
        CustomerFactory,
        PlanFactory,
        PortalAccountFactory,
        StaffFactory,
        TermsVersionFactory,
        UserFactory,
    )

    settings.MEDIA_ROOT = str(tmp_path)
    today = timezone.localdate()
    manager = StaffFactory(username="li", first_name="Na", last_name="Li", email="li@desk.example")
    customer = CustomerFactory(name="北京云帆科技有限公司", account_manager=manager, language="en")
    ContactFactory(customer=customer, email="buyer@yunfan.example")
    user = UserFactory(username="buyer", email="buyer@yunfan.example")
    PortalAccountFactory(user=user, customer=customer)
    plan = PlanFactory(code="TEAM", name="Team plan", price=Decimal("800.00"))
    old_terms = TermsVersionFactory(version="2025.1", body="1. Service.\n2. Fees yearly.")
    TermsVersionFactory(
        version="2026.1",
        body="1. Service.\n2. Fees yearly or in installments.\n3. Data protection.",
        effective_from=today - dt.timedelta(days=10),
    )
    end = today + dt.timedelta(days=30)
    contract = ContractFactory(
        customer=customer,
        plan=plan,
        start_date=end - dt.timedelta(days=364),
        end_date=end,
        total_amount=Decimal("9600.00"),
        annual_value=Decimal("9600.00"),
        terms_version=old_terms,
        with_line=False,
    )
    ContractLine.objects.create(
        contract=contract,
        plan=plan,
        description="Team plan, 12 months",
        quantity=1,
        unit_price=Decimal("9600.00"),
    )
    # The price list goes up by 10% for the next term.
    PlanPrice.objects.create(plan=plan, price=Decimal("880.00"), effective_from=end)
    case, _ = services.case_open(contract=contract, by=manager)
    quote = services.quote_create(case=case, by=manager)
    services.quote_send(quote=quote, by=manager)
    return {"today": today, "manager": manager, "contract": contract, "case": case, "end": end}


def _renew_link_from_email(smtp_server) -> str:
    """The "Renew" link of the reminder (the customer also got the "quote ready" email)."""
    for envelope in smtp_server.messages:
        if "buyer@yunfan.example" not in envelope.rcpt_tos:
            continue
        msg = email.message_from_bytes(envelope.content, policy=policy.default)
        body = msg.get_body(preferencelist=("plain",)).get_content()
        links = re.findall(r"Renew: (\S+/portal/act/renew/\S+)", body)
        if links:
            return links[0]
    raise AssertionError(f"no reminder with a renew link among {len(smtp_server.messages)}")


def test_a_customer_renews_from_the_reminder_link_and_the_manager_records_the_payment(
    world, smtp_server, live_server, settings, browser, screenshot
):
    from billing.models import Invoice
    from contracts.models import Contract, ContractStatus
    from lifecycle.contract_ends import process_contract_ends
    from lifecycle.reminder_sweep import reminders_sweep
    from notifications.services import outbox_deliver_due
    from renewals.models import RenewalCase, Signature, Stage

    # 1. the reminder goes out through SMTP, with links to this server
    settings.SITE_URL = live_server.url
    reminders_sweep(as_of=world["today"])
    outbox_deliver_due()
    link = _renew_link_from_email(smtp_server)
    assert link.startswith(live_server.url)

    customer_ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = customer_ctx.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    # the customer logs in, then opens the link from the email
    page.goto(f"{live_server.url}/portal/login/password/")
    page.fill("input[name=email]", "buyer@yunfan.example")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/portal/$"))
    page.goto(link)
    assert page.get_by_text("Nothing changes until you press the button below.").is_visible()
    screenshot(page, "renewal-1-confirm-intent")
    case = RenewalCase.objects.get(pk=world["case"].pk)
    assert case.intent == ""  # GET changed nothing

    # 2. confirm "renew as is" → the renewal page with the quote and its differences
    page.get_by_label("Renew as is").check()
    page.get_by_role("button", name="Confirm my answer").click()
    page.wait_for_url(re.compile(rf".*/portal/contracts/{world['contract'].pk}/renewal/$"))
    assert page.locator(".diff-table").is_visible()
    diff_text = page.locator(".diff-table").inner_text()
    assert "9,600.00 → 10,560.00" in diff_text and "+10.0%" in diff_text
    page.get_by_text("What changes in the contract text").click()
    assert page.get_by_text("3. Data protection.").is_visible()
    screenshot(page, "renewal-2-review-quote")

    page.get_by_label("I have read the contract and accept it.").check()
    page.get_by_label("Type your full name to sign").fill("Zhang Wei")
    page.get_by_role("button", name="Sign the contract").click()
    page.wait_for_url(re.compile(r".*/renewal/$"))
    assert page.get_by_text("Signed. Thank you!").is_visible()
    invoice = Invoice.objects.get(contract__predecessor=world["contract"])
    assert page.get_by_text(invoice.number).first.is_visible()
    screenshot(page, "renewal-3-signed-invoice")
    page.get_by_text(invoice.number).first.click()
    assert page.get_by_text("How to pay").is_visible()
    screenshot(page, "renewal-4-invoice")
    signature = Signature.objects.get()
    assert signature.signer_name == "Zhang Wei" and signature.ip_address == "127.0.0.1"
    assert "Chrome" in signature.user_agent or "HeadlessChrome" in signature.user_agent
    assert not errors, errors
    customer_ctx.close()

    # 3. the account manager records the bank transfer on the case page
    staff_ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    staff = staff_ctx.new_page()
    staff.set_default_timeout(15_000)
    staff.goto(f"{live_server.url}/staff/login/")
    staff.fill("input[name=username]", "li")
    staff.fill("input[name=password]", PASSWORD)
    staff.click("button[type=submit]:has-text('Log in')")
    staff.wait_for_url(re.compile(r".*/staff/$"))
    staff.goto(f"{live_server.url}/staff/renewals/")
    staff.get_by_role("link", name=re.compile("北京云帆科技有限公司")).click()
    staff.get_by_text("Record a payment").click()
    staff.get_by_label("Amount").fill("10560.00")
    staff.get_by_label("Method").select_option("bank_transfer")
    staff.get_by_label("Reference").fill("CMB-2026-0001")
    staff.get_by_label("Received on").fill(world["today"].isoformat())
    staff.get_by_role("button", name="Record payment").click()
    assert staff.get_by_text("recorded").first.is_visible()
    assert staff.locator("#case-stage").inner_text() == "Paid"
    screenshot(staff, "renewal-5-staff-payment")
    staff_ctx.close()

    successor = Contract.objects.get(predecessor=world["contract"])
    assert successor.status == ContractStatus.SCHEDULED

    # 4. the term ends: the successor takes over and the old contract is renewed
    process_contract_ends(as_of=world["end"] + dt.timedelta(days=1))
    successor.refresh_from_db()
    predecessor = Contract.objects.get(pk=world["contract"].pk)
    assert successor.status == ContractStatus.ACTIVE
    assert predecessor.status == ContractStatus.RENEWED
    assert RenewalCase.objects.get(pk=world["case"].pk).stage == Stage.WON
