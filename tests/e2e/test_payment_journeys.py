# ruff: noqa: F811 - the fakes' fixtures are imported and named as parameters
"""A portal customer pays online, in Debian's Chromium, against the providers' local fakes
(tests/payments/fakes/): the real adapters and SDKs talk HTTP to them, and they notify our
live server's ``/payments/notify/<provider>/`` signed as the providers sign.

1. For each method, the customer opens the invoice (after signing the renewal in the
   portal, or the first invoice of a new contract) and pays: WeChat Pay shows a QR code
   that a second tab (the phone) "scans and pays"; Alipay and card go to the fake's hosted
   page. The return page records nothing; only the provider's notification does, and the
   status page (htmx polling) turns to paid without a reload, with the receipt.
2. The customer saves a card for the automatic renewals on the Stripe fake's page; the
   contract renews at the end of its term and the sweep charges the successor's invoice
   off-session. The next renewal's charge is declined: the dunning e-mail's link opens the
   invoice with "Pay now".

Dates: the contracts' dates are days from today; every service is called with a date taken
from the contracts (their end, the successor's start), never "today" again, so a month or
year end between those days changes nothing (see tests/e2e/payment_world.py).

Screenshots: test-artifacts/pay-*.png.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any
from urllib.parse import parse_qsl

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.e2e import payment_world as pw
from tests.payments.fakes.alipay import fake_alipay_fixture  # noqa: F401 (a fixture)
from tests.payments.fakes.stripe_api import fake_stripe  # noqa: F401 (a fixture)
from tests.payments.fakes.wechat_pay import fake_wechat_pay  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

FAKES = {"wechat_pay": "fake_wechat_pay", "alipay": "fake_alipay", "card": "fake_stripe"}
BUTTONS = {"wechat_pay": "Pay with WeChat Pay", "alipay": "Pay with Alipay", "card": "Pay by card"}
STATUS_WAIT = 20_000  # ms: the status page polls every 3 s


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def portal(browser):
    """A customer's browser tab (log in once the world is built)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
    page.on(
        "console",
        lambda m: (
            errors.append(f"{m.location.get('url')}: {m.text}") if m.type == "error" else None
        ),
    )
    page.js_errors = errors
    yield page
    context.close()


def _our_errors(page: Any, base: str) -> list[str]:
    """Console errors of our pages (the fakes' pages have no favicon: a 404 there)."""
    return [e for e in page.js_errors if e.startswith(base)]


def _config(method: str, fake: Any) -> dict[str, str]:
    return fake.config


def _notified_event_id(method: str, fake: Any) -> str:
    """The id of the payment notification the fake sent (what our log must hold)."""
    if method == "wechat_pay":
        return json.loads(fake.deliveries[-1].body)["id"]
    if method == "alipay":
        return dict(parse_qsl(fake.deliveries[-1].body.decode()))["notify_id"]
    return fake.last_event("checkout.session.completed")["id"]


def _return_page_records_nothing(page: Any, base_url: str, invoice: Any, method: str) -> None:
    """The customer comes back to our return URL before the provider told us anything:
    the attempt is still waiting and no payment exists."""
    from billing.models import Payment
    from payments.models import ProviderNotification

    back = page.context.new_page()
    back.goto(base_url + reverse("portal:invoice-pay-return", args=[invoice.pk, method]))
    back.wait_for_url(re.compile(r".*/portal/payments/\d+/$"))
    assert back.locator("#payment-status").get_attribute("data-status") == "pending"
    back.close()
    invoice.refresh_from_db()
    assert invoice.status == "open"
    assert not Payment.objects.filter(invoice=invoice).exists()
    assert not ProviderNotification.objects.filter(kind="payment").exists()


@pytest.mark.parametrize(
    ("method", "start"),
    [("wechat_pay", "renewal"), ("alipay", "first_invoice"), ("card", "renewal")],
)
def test_a_customer_pays_an_invoice_and_sees_the_contract_activated(
    method, start, request, settings, live_server, portal, screenshot
):
    from billing.models import Invoice, Payment
    from contracts.models import Contract
    from lifecycle.contract_ends import process_contract_ends
    from payments.models import PaymentAttempt, ProviderNotification

    base = live_server.url
    today = timezone.localdate()
    fake = request.getfixturevalue(FAKES[method])
    pw.providers_configure(settings, base, **{method: _config(method, fake)})
    world = pw.customer_build()
    page = portal
    pw.portal_log_in(page, base)

    # 1. the invoice: from the signed renewal, or the first invoice of a new contract
    if start == "renewal":
        predecessor = pw.renewal_to_sign(world, today=today)
        pw.renewal_sign(page, base, predecessor)
        contract = Contract.objects.get(predecessor=predecessor)
        invoice = Invoice.objects.get(contract=contract)
        page.get_by_role("link", name=re.compile(re.escape(invoice.number))).first.click()
    else:
        contract, invoice = pw.contract_awaiting_payment(world, today=today)
        page.goto(base + reverse("portal:contract-detail", args=[contract.pk]))
        page.get_by_role("link", name=re.compile(re.escape(invoice.number))).first.click()
    page.wait_for_url(re.compile(rf".*/portal/invoices/{invoice.pk}/$"))
    assert invoice.amount == pw.AMOUNT
    pay_now = page.locator("#pay-now")
    # only the configured provider is offered
    assert pay_now.locator("button[data-provider]").count() == 1
    screenshot(page, f"pay-{method}-1-invoice")

    # 2. choose the method
    pay_now.get_by_role("button", name=BUTTONS[method]).click()
    page.wait_for_url(re.compile(r".*/portal/payments/\d+/$"))
    status = page.locator("#payment-status")
    assert status.get_attribute("data-status") == "pending"
    assert pw.AMOUNT_TEXT in status.inner_text()
    if method != "wechat_pay":
        # our page first (a form may not redirect to another origin under our CSP)
        screenshot(page, f"pay-{method}-2-continue")
        status.get_by_role("link", name="Continue to the payment page").click()
    if method == "wechat_pay":
        assert status.locator(".payments-qr svg").is_visible()
        assert pw.AMOUNT_TEXT in status.inner_text()
        screenshot(page, f"pay-{method}-2-qr-code")
        attempt = PaymentAttempt.objects.get(invoice=invoice)
        _return_page_records_nothing(page, base, invoice, method)
        page.evaluate("() => { window.e2eSamePage = true; }")
        # the phone scans the code and pays on the fake's page; the fake notifies us
        phone = page.context.new_page()
        phone.goto(f"{fake.url}/_fake/scan/{attempt.reference}")
        phone.get_by_role("button", name="Pay").click()
        phone.get_by_text(re.compile(r"paid; notification answered 20[04]")).wait_for()
        phone.close()
    elif method == "alipay":
        page.wait_for_url(re.compile(r"http://127\.0\.0\.1:\d+/gateway\.do.*"))
        page.get_by_text("Alipay cashier (fake)").first.wait_for()
        assert "¥9600.00" in page.inner_text("main")
        screenshot(page, f"pay-{method}-3-provider-page")
        _return_page_records_nothing(page, base, invoice, method)
        # Pay: the fake notifies us, then sends the browser back to the return URL
        page.get_by_role("button", name="Pay").click()
        page.wait_for_url(re.compile(r".*/portal/payments/\d+/$"))
    else:
        page.wait_for_url(re.compile(r"http://127\.0\.0\.1:\d+/c/pay/.*"))
        assert page.get_by_role("heading", name="Pay 9600.00 CNY").is_visible()
        page.get_by_label("Test card").select_option("visa-4242")
        screenshot(page, f"pay-{method}-3-provider-page")
        # Stripe has no endpoint yet: the completed session's event is not delivered
        fake.webhook_url = None
        page.get_by_role("button", name="Pay").click()
        page.wait_for_url(re.compile(r".*/portal/payments/\d+/$"))
        fake.wait_for_deliveries()
        # back on our return page, the session complete at Stripe: nothing is recorded
        assert page.locator("#payment-status").get_attribute("data-status") == "pending"
        _return_page_records_nothing(page, base, invoice, method)
        screenshot(page, f"pay-{method}-4-waiting")
        page.evaluate("() => { window.e2eSamePage = true; }")
        fake.webhook_url = base + reverse("payments-notify", args=["card"])
        fake.redeliver(fake.last_event("checkout.session.completed")["id"])

    # 3. the status page turns to paid by itself (htmx), from the notification only
    status = page.locator("#payment-status")
    page.locator("#payment-status[data-status=succeeded]").wait_for(timeout=STATUS_WAIT)
    if method != "alipay":  # Alipay's page sends the browser back after notifying us
        assert page.evaluate("() => window.e2eSamePage === true"), "the page was reloaded"
    attempt = PaymentAttempt.objects.get(invoice=invoice)
    [payment] = Payment.objects.filter(invoice=invoice)
    assert attempt.payment_id == payment.pk and payment.amount == pw.AMOUNT
    [fact] = ProviderNotification.objects.filter(attempt=attempt, outcome="succeeded")
    assert fact.event_id == _notified_event_id(method, fake)
    text = status.inner_text()
    assert "Payment received. Thank you!" in text
    assert f"Invoice {invoice.number}: Paid." in text
    contract.refresh_from_db()
    if start == "renewal":
        assert contract.status == "scheduled"
        assert f"Contract {contract.number} starts on" in text
    else:
        assert contract.status == "active"
        assert f"Contract {contract.number} is now active." in text
    screenshot(page, f"pay-{method}-5-paid")

    receipt = status.get_by_role("link", name="Receipt (PDF)").get_attribute("href")
    answer = page.request.get(base + receipt)
    assert answer.ok and answer.headers["content-type"].startswith("application/pdf")
    assert answer.body().startswith(b"%PDF")

    # 4. the contract page says active (a renewal: once its term has started)
    if start == "renewal":
        process_contract_ends(as_of=contract.start_date)
    status.get_by_role("link", name="See the contract").click()
    page.wait_for_url(re.compile(rf".*/portal/contracts/{contract.pk}/$"))
    assert page.locator(".portal-status").first.inner_text() == "Active"
    screenshot(page, f"pay-{method}-6-contract")
    assert not _our_errors(page, base), page.js_errors


def test_auto_renewal_is_charged_off_session_and_a_decline_sends_the_pay_now_link(
    settings, live_server, portal, fake_stripe, mailoutbox, screenshot
):
    from billing.models import Invoice, InvoiceStatus, Payment
    from contracts.models import Contract
    from lifecycle.contract_ends import process_contract_ends
    from notifications.services import outbox_deliver_due
    from payments.models import MandateStatus, PaymentAttempt, PaymentMandate
    from payments.services.auto_charge import auto_charge_sweep

    base = live_server.url
    today = timezone.localdate()
    pw.providers_configure(settings, base, card=fake_stripe.config)
    fake_stripe.webhook_url = base + reverse("payments-notify", args=["card"])
    world = pw.customer_build()
    contract = pw.auto_renewing_contract(world, today=today)
    page = portal
    pw.portal_log_in(page, base)

    # 1. the customer saves a card for the renewals of this contract
    page.goto(base + reverse("portal:contract-detail", args=[contract.pk]))
    page.get_by_role("link", name="Automatic payment").click()
    page.wait_for_url(re.compile(rf".*/portal/contracts/{contract.pk}/automatic-payment/$"))
    screenshot(page, "pay-auto-1-setup")
    card = page.locator("section", has=page.locator("#choice-card"))
    card.get_by_label("I have read and accept this authorisation.").check()
    card.get_by_role("button", name="Continue to the provider").click()
    page.locator("#mandate-continue").wait_for()
    screenshot(page, "pay-auto-2-continue")
    page.locator("#mandate-continue").get_by_role("link", name="Continue to the provider").click()
    page.wait_for_url(re.compile(r"http://127\.0\.0\.1:\d+/c/pay/.*"))
    assert page.get_by_role("heading", name="Save a card for future payments").is_visible()
    page.get_by_label("Test card").select_option("mastercard-4444")
    screenshot(page, "pay-auto-3-provider-page")
    page.get_by_role("button", name="Save card").click()
    page.wait_for_url(re.compile(r".*/portal/automatic-payment/[^/]+/$"))
    mandate_status = page.locator("#mandate-status")
    page.locator("#mandate-status[data-status=active]").wait_for(timeout=STATUS_WAIT)
    assert "Renewals are paid automatically with Mastercard •••• 4444." in (
        mandate_status.inner_text()
    )
    screenshot(page, "pay-auto-4-saved")
    mandate = PaymentMandate.objects.get(contract=contract)
    assert mandate.status == MandateStatus.ACTIVE

    # 2. the term ends: the contract renews and the successor's invoice is charged
    pw.renewal_notice_deliver(contract)
    process_contract_ends(as_of=contract.end_date + dt.timedelta(days=1))
    successor = Contract.objects.get(predecessor=contract)
    assert successor.status == "active"
    invoice = Invoice.objects.get(contract=successor)
    result = auto_charge_sweep(as_of=successor.start_date)
    assert result["charged"] == 1
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    attempt = PaymentAttempt.objects.get(invoice=invoice)
    assert attempt.off_session and attempt.payment is not None
    [sent] = fake_stripe.requests_to("POST", "/v1/payment_intents")
    assert (sent["off_session"], sent["confirm"]) == ("true", "true")
    assert sent["amount"] == str(int(invoice.amount * 100))
    page.goto(base + reverse("portal:invoice", args=[invoice.pk]))
    assert page.locator("#invoice-status").inner_text() == "Paid"
    assert page.locator("#pay-now").count() == 0
    assert page.get_by_role("link", name="Receipt (PDF)").is_visible()
    screenshot(page, "pay-auto-5-renewal-paid")

    # 3. a year later the next renewal's charge is declined: dunning with the pay-now link
    pw.renewal_notice_deliver(successor)
    process_contract_ends(as_of=successor.end_date + dt.timedelta(days=1))
    third = Contract.objects.get(predecessor=successor)
    next_invoice = Invoice.objects.get(contract=third)
    fake_stripe.decline_next_charge("card_declined", "insufficient_funds")
    mailoutbox.clear()
    auto_charge_sweep(as_of=third.start_date)
    next_invoice.refresh_from_db()
    assert next_invoice.status == InvoiceStatus.OPEN and next_invoice.dunning_level == 1
    assert not Payment.objects.filter(invoice=next_invoice).exists()
    outbox_deliver_due(max_seconds=20)
    [mail] = [m for m in mailoutbox if next_invoice.number in m.subject]
    assert pw.EMAIL in mail.to
    links = re.findall(rf"{re.escape(base)}/portal/\S+", mail.body)
    assert links, mail.body
    page.goto(links[0])
    # the link opens the invoice with "Pay now" (the page itself, or the pay page)
    page.wait_for_url(re.compile(rf".*/portal/invoices/{next_invoice.pk}/(pay/)?$"))
    assert page.locator("#pay-now").get_by_role("button", name="Pay by card").is_visible()
    screenshot(page, "pay-auto-6-dunning-link")
    assert not _our_errors(page, base), page.js_errors
