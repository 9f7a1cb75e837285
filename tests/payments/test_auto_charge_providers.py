# ruff: noqa: F811 - the provider fakes' fixtures imported below are named as parameters
"""The automatic payment of a renewal against the local provider fakes, through the real
adapters: the customer saves a card at the fake Stripe (setup-mode Checkout) or signs an
Alipay recurring-deduction agreement at the fake Alipay gateway, the provider's
notification is posted to our endpoint with the test client, and the sweep on the
successor's start date charges the renewal invoice off-session: paid, once."""

from __future__ import annotations

import datetime as dt
import urllib.request

import pytest
import time_machine

from billing.models import InvoiceStatus, Payment
from contracts.models import AutoRenewConsent
from payments.models import AttemptStatus, MandateCharge, MandateStatus, PaymentMandate
from payments.services.auto_charge import auto_charge_sweep
from payments.services.mandates import mandate_disclosure, mandate_start
from tests.payments.fakes.alipay import FakeAlipay, fake_alipay_fixture  # noqa: F401
from tests.payments.fakes.stripe_api import (  # noqa: F401
    FakeStripe,
    fake_stripe,
    fake_stripe_settings,
)
from tests.payments.recurring_fixtures import renewed_successor

pytestmark = pytest.mark.django_db

START = dt.date(2026, 6, 1)


@pytest.fixture
def renewed(customer):
    """A contract renewed automatically into a successor starting on START, whose term
    invoice is open and due that day."""
    with time_machine.travel(dt.datetime(2026, 5, 20, 2, 0, tzinfo=dt.UTC), tick=False):
        yield renewed_successor(customer, start=START)


def _saved(contract, code, portal_user, return_url="https://renew.example.com/portal/"):
    AutoRenewConsent.objects.create(
        contract=contract,
        customer=contract.customer,
        enabled=True,
        text="on",
        text_version="t",
        channel="portal",
    )
    return mandate_start(
        contract=contract,
        provider_code=code,
        by=portal_user,
        text=mandate_disclosure(contract=contract, provider_code=code),
        return_url=return_url,
        customer_email="ann@acme.example",
        language="en",
    )


def _post(client, code, body, headers):
    return client.post(
        f"/payments/notify/{code}/",
        data=body,
        content_type=headers.get("Content-Type", "application/json"),
        **{
            "HTTP_" + k.upper().replace("-", "_"): v
            for k, v in headers.items()
            if k != "Content-Type"
        },
    )


def _charged_once(invoice, code):
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    [payment] = Payment.objects.filter(invoice=invoice)
    assert (payment.method, payment.source, payment.amount) == (code, "webhook", invoice.amount)
    claim = MandateCharge.objects.get(invoice=invoice)
    assert claim.answer == "succeeded"
    assert claim.attempt.off_session and claim.attempt.status == AttemptStatus.SUCCEEDED
    return payment


def test_a_card_saved_at_stripe_pays_the_renewal_on_the_successors_start_date(
    client, renewed, portal_user, fake_stripe_settings, settings
):
    fake = fake_stripe_settings
    settings.PAYMENTS_PUBLIC_URL = "https://renew.example.com"
    predecessor, successor, invoice = renewed
    with time_machine.travel(dt.datetime(2026, 6, 1, 1, 0, tzinfo=dt.UTC), tick=False):
        mandate, go_to = _saved(successor, "card", portal_user)
        [session] = [s for s in fake.sessions.values() if s["mode"] == "setup"]
        assert go_to == session["url"]
        fake.complete_session(session["id"], brand="mastercard", last4="4444")
        body, headers = fake.signed(fake.last_event("checkout.session.completed"))
        assert _post(client, "card", body, headers).status_code == 200
        mandate.refresh_from_db()
        assert mandate.status == MandateStatus.ACTIVE
        assert mandate.display == "Mastercard •••• 4444"

        assert auto_charge_sweep(as_of=START)["charged"] == 1
        assert auto_charge_sweep(as_of=START)["charged"] == 0

    payment = _charged_once(invoice, "card")
    [intent] = fake.payment_intents.values()
    assert payment.reference == intent["id"]
    assert fake.major_units(intent["amount"], "CNY") == invoice.amount
    assert intent["payment_method"] == mandate.provider_data["payment_method"]
    sent = fake.requests_to("POST", "/v1/payment_intents")
    assert len(sent) == 1 and (sent[0]["off_session"], sent[0]["confirm"]) == ("true", "true")


def test_an_alipay_agreement_pays_the_renewal_on_the_successors_start_date(
    client, renewed, portal_user, fake_alipay: FakeAlipay, settings
):
    settings.PAYMENT_PROVIDERS = {**settings.PAYMENT_PROVIDERS, "alipay": fake_alipay.config}
    # Alipay's own deliveries go to the fake (404): the test posts them to our endpoint.
    settings.PAYMENTS_PUBLIC_URL = fake_alipay.base_url
    predecessor, successor, invoice = renewed
    with time_machine.travel(dt.datetime(2026, 6, 1, 1, 0, tzinfo=dt.UTC), tick=False):
        mandate, go_to = _saved(successor, "alipay", portal_user)
        # The customer's browser opens Alipay's signing page, then signs.
        with urllib.request.urlopen(go_to, timeout=10) as page:  # noqa: S310 (the fake)
            assert page.status == 200
        body, headers = fake_alipay.sign_agreement(mandate.reference)
        assert _post(client, "alipay", body, headers).status_code == 200
        mandate = PaymentMandate.objects.get(pk=mandate.pk)
        assert mandate.status == MandateStatus.ACTIVE
        agreement_no = fake_alipay.agreements[mandate.reference].agreement_no
        assert mandate.provider_data["agreement_no"] == agreement_no

        assert auto_charge_sweep(as_of=START)["charged"] == 1
        assert auto_charge_sweep(as_of=START)["charged"] == 0

    payment = _charged_once(invoice, "alipay")
    claim = MandateCharge.objects.get(invoice=invoice)
    trade = fake_alipay.trades[claim.attempt.reference]
    assert trade.trade_status == "TRADE_SUCCESS"
    assert trade.total_amount == invoice.amount
    assert payment.reference == trade.trade_no
