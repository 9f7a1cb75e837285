"""Service levels in Debian's Chromium: a manager adds an uptime indicator to a renewal
quote and sends it; once the renewal is signed, paid and in force, she records a breached
month; the customer files a compensation claim in the portal; the manager approves it and
the customer sees the credit note.

Screenshots: test-artifacts/service-levels-*.png.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-Secret-123"


@pytest.fixture
def renewal_case(transactional_db, settings, tmp_path):
    from renewals import services
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
    manager = StaffFactory(username="wang", first_name="Wang", language="en")
    customer = CustomerFactory(name="Hangzhou Data Ltd", account_manager=manager, language="en")
    ContactFactory(customer=customer, email="ops@hzdata.example")
    PortalAccountFactory(
        user=UserFactory(username="ops", email="ops@hzdata.example"), customer=customer
    )
    # The current term ended yesterday: the renewal starts today, so it is in force once paid.
    contract = ContractFactory(
        customer=customer,
        end_date=today - dt.timedelta(days=1),
        total_amount=Decimal("36500.00"),
    )
    case, _ = services.case_open(contract=contract, by=manager)
    services.quote_create(case=case, by=manager)
    return {"case": case, "manager": manager, "customer": customer, "today": today}


def sign_and_pay(case, manager):
    from billing.models import Invoice
    from billing.services import payment_record
    from renewals import services
    from renewals.models import Quote

    quote = Quote.objects.get(case=case)
    services.quote_sign_offline(
        quote=quote,
        by=manager,
        signer_name="Chen Ming",
        signed_at=timezone.now(),
        scan=b"%PDF-1.4 signed scan",
        filename="signed.pdf",
    )
    case.refresh_from_db()
    for invoice in Invoice.objects.filter(contract=case.successor):
        payment_record(
            invoice=invoice,
            amount=invoice.amount,
            method="bank_transfer",
            reference=f"BT-{invoice.pk}",
            by=manager,
        )
    case.successor.refresh_from_db()
    return case.successor


def test_a_missed_service_level_becomes_a_credit_note_the_customer_sees(
    renewal_case, live_server, page, browser, screenshot, staff_login
):
    from billing.models import CreditNote
    from relations.models import ClaimStatus, CompensationClaim

    case = renewal_case["case"]
    staff_login(page, live_server, username="wang", password=PASSWORD)

    # the manager adds an uptime indicator to the draft quote, from the case page
    page.goto(f"{live_server.url}/staff/renewals/cases/{case.pk}/")
    page.locator("#quote-service-levels-link").click()
    form = page.locator("#indicator-form")
    form.locator("select[name=kind]").select_option("uptime_percent")
    form.locator("input[name=target]").fill("101")
    form.locator("select[name=period]").select_option("monthly")
    form.locator("select[name=compensation_rule]").select_option("percent_of_fee")
    form.locator("input[name=compensation_value]").fill("10")
    form.locator("input[name=compensation_cap]").fill("5000")
    form.get_by_role("button", name="Add to the quote").click()
    # said, not a 500, and what was typed is still there
    assert page.get_by_text("An uptime target is a percentage between 0 and 100.").is_visible()
    page.locator("#indicator-form input[name=target]").fill("99.9")
    page.locator("#indicator-form").get_by_role("button", name="Add to the quote").click()
    assert page.get_by_text("“Uptime (%)” added to the quote.").is_visible()
    screenshot(page, "service-levels-1-quote")

    # it shows on the case page; the quote is sent (its PDF carries it too)
    page.get_by_role("link", name=re.compile("Renewal of")).click()
    assert "≥ 99.9 %" in page.locator("#quote-service-levels").inner_text()
    page.get_by_role("button", name="Send to the customer").click()
    page.wait_for_load_state()

    # signed and paid: the renewal is in force from today
    successor = sign_and_pay(case, renewal_case["manager"])
    assert successor.status == "active"

    # the manager records this month's uptime below the target
    page.goto(f"{live_server.url}/staff/relations/contracts/{successor.pk}/service-levels/")
    record = page.locator("form.measurement-form")
    record.locator("input[name=value]").fill("98.2")
    record.get_by_role("button", name="Record").click()
    assert page.get_by_text("missed its target").is_visible()
    screenshot(page, "service-levels-2-breach")

    # the customer files a claim from the contract's page in the portal
    customer_context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
    customer_context.set_default_timeout(10_000)
    customer_page = customer_context.new_page()
    customer_errors: list[str] = []
    customer_page.on("pageerror", lambda exc: customer_errors.append(str(exc)))
    customer_page.goto(f"{live_server.url}/portal/login/password/")
    customer_page.fill("input[name=email]", "ops@hzdata.example")
    customer_page.fill("input[name=password]", PASSWORD)
    customer_page.get_by_role("button", name="Log in").click()
    customer_page.wait_for_url(re.compile(r".*/portal/$"))
    customer_page.goto(f"{live_server.url}/portal/contracts/{successor.pk}/")
    customer_page.locator("#service-levels-link").click()
    assert "98.2 %" in customer_page.content()
    customer_page.get_by_text("Claim compensation").click()
    customer_page.get_by_label("What happened").fill("The service was down for 13 hours.")
    customer_page.get_by_role("button", name="File the claim").click()
    assert customer_page.get_by_text("Your claim is filed.").is_visible()
    assert CompensationClaim.objects.get().status == ClaimStatus.FILED
    screenshot(customer_page, "service-levels-3-claim")

    # the manager approves it into a credit note
    page.reload()
    page.get_by_role("button", name="Approve and credit").click()
    credit = CreditNote.objects.get()
    assert page.get_by_text(f"credit note {credit.number} issued").is_visible()
    assert CompensationClaim.objects.get().status == ClaimStatus.CREDITED

    # the customer sees it
    customer_page.reload()
    claim_line = customer_page.locator("[data-claim-status=credited]")
    assert credit.number in claim_line.inner_text()
    screenshot(customer_page, "service-levels-4-credited")
    # The refused indicator form answered 400 on purpose; nothing else may fail.
    assert [e for e in page.js_errors if "status of 400" not in e] == []
    assert customer_errors == []
    customer_context.close()
