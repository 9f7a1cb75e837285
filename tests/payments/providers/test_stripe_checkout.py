"""The card adapter (payments/providers/stripe_checkout.py) through the real ``stripe`` SDK
against the local fake Stripe API (tests/payments/fakes/stripe_api.py)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from payments.providers.base import (
    NotificationRejected,
    PaymentProvider,
    ProviderError,
    ProviderEvent,
    RecurringProvider,
)
from payments.providers.stripe_checkout import StripeProvider
from tests.payments.fakes.stripe_api import FakeStripe, fake_stripe  # noqa: F401

RETURN_URL = "https://renew.example.com/portal/pay/return/"


@pytest.fixture
def stripe_provider(fake_stripe: FakeStripe) -> StripeProvider:  # noqa: F811
    return StripeProvider(fake_stripe.config)


def start_checkout(
    provider: StripeProvider,
    reference: str = "PAY-0001",
    amount: str = "1234.50",
    currency: str = "CNY",
    **kwargs: Any,
) -> Any:
    return provider.checkout_start(
        reference=reference,
        amount=Decimal(amount),
        currency=currency,
        description="Renewal HT-2026-000123",
        return_url=RETURN_URL,
        notify_url="https://renew.example.com/payments/notify/card/",
        **kwargs,
    )


def verify(
    provider: StripeProvider, fake: FakeStripe, event: dict[str, Any]
) -> list[ProviderEvent]:
    body, headers = fake.signed(event)
    return provider.notification_verify(body=body, headers=headers)


# Checkout ----------------------------------------------------------------------------


def test_it_implements_both_protocols(stripe_provider: StripeProvider) -> None:
    assert isinstance(stripe_provider, PaymentProvider)
    assert isinstance(stripe_provider, RecurringProvider)
    assert stripe_provider.code == "card"


def test_it_creates_a_checkout_session_in_minor_units(
    stripe_provider: StripeProvider,
    fake_stripe: FakeStripe,  # noqa: F811
) -> None:
    checkout = start_checkout(stripe_provider, customer_email="li@example.com")

    session = fake_stripe.sessions[checkout.provider_reference]
    assert checkout.redirect_url == session["url"]
    assert checkout.qr_code == ""
    assert checkout.expires_at is not None
    assert int(checkout.expires_at.timestamp()) == session["expires_at"]
    assert session["amount_total"] == 123450
    assert session["currency"] == "cny"
    assert session["mode"] == "payment"
    assert session["client_reference_id"] == "PAY-0001"
    assert session["metadata"] == {"reference": "PAY-0001"}
    assert session["customer_email"] == "li@example.com"
    assert session["locale"] == "zh"
    assert session["success_url"] == session["cancel_url"] == RETURN_URL
    sent = fake_stripe.requests_to("POST", "/v1/checkout/sessions")[0]
    assert sent["payment_intent_data"]["metadata"] == {"reference": "PAY-0001", "flow": "checkout"}
    page = requests.get(checkout.redirect_url, timeout=5)
    assert "Pay 1234.50 CNY" in page.text


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [("5000", "JPY", 5000), ("19.99", "EUR", 1999), ("0.50", "USD", 50), ("12.340", "KWD", 12340)],
)
def test_it_converts_each_currency_to_its_minor_unit(
    stripe_provider: StripeProvider,
    fake_stripe: FakeStripe,  # noqa: F811
    amount: str,
    currency: str,
    minor: int,
) -> None:
    checkout = start_checkout(stripe_provider, amount=amount, currency=currency, language="en")
    session = fake_stripe.sessions[checkout.provider_reference]
    assert session["amount_total"] == minor
    assert session["locale"] == "en"


@pytest.mark.parametrize(("amount", "currency"), [("0.5", "JPY"), ("1.001", "EUR"), ("0", "CNY")])
def test_it_refuses_an_amount_the_currency_cannot_carry(
    stripe_provider: StripeProvider,
    fake_stripe: FakeStripe,  # noqa: F811
    amount: str,
    currency: str,
) -> None:
    with pytest.raises(ProviderError) as raised:
        start_checkout(stripe_provider, amount=amount, currency=currency)
    assert raised.value.code == "invalid_amount"
    assert fake_stripe.requests == []


def test_a_repeated_start_returns_the_same_session(
    stripe_provider: StripeProvider,
    fake_stripe: FakeStripe,  # noqa: F811
) -> None:
    first = start_checkout(stripe_provider)
    again = start_checkout(stripe_provider)
    other_language = start_checkout(stripe_provider, language="en")
    assert again.provider_reference == first.provider_reference
    assert other_language.provider_reference != first.provider_reference
    assert len(fake_stripe.sessions) == 2


def test_a_paid_session_gives_a_verified_payment_in_decimal(
    stripe_provider: StripeProvider,
    fake_stripe: FakeStripe,  # noqa: F811
) -> None:
    checkout = start_checkout(stripe_provider)
    fake_stripe.complete_session(checkout.provider_reference)
    event = fake_stripe.last_event("checkout.session.completed")

    [fact] = verify(stripe_provider, fake_stripe, event)

    intent_id = fake_stripe.sessions[checkout.provider_reference]["payment_intent"]
    assert fact.event_id == event["id"]
    assert (fact.kind, fact.outcome, fact.reference) == ("payment", "succeeded", "PAY-0001")
    assert fact.transaction_id == intent_id and intent_id.startswith("pi_")
    assert fact.amount == Decimal("1234.50")
    assert fact.currency == "CNY"


def test_the_intent_behind_a_checkout_page_is_not_a_fact_of_its_own(
    stripe_provider: StripeProvider,
    fake_stripe: FakeStripe,  # noqa: F811
) -> None:
    checkout = start_checkout(stripe_provider)
    fake_stripe.complete_session(checkout.provider_reference)
    [fact] = verify(
        stripe_provider, fake_stripe, fake_stripe.last_event("payment_intent.succeeded")
    )
    assert fact.kind == "ignored"


def test_an_expired_session_closes_the_payment(
    stripe_provider: StripeProvider,
    fake_stripe: FakeStripe,  # noqa: F811
) -> None:
    checkout = start_checkout(stripe_provider)
    fake_stripe.expire_session(checkout.provider_reference)
    [fact] = verify(
        stripe_provider, fake_stripe, fake_stripe.last_event("checkout.session.expired")
    )
    assert (fact.kind, fact.outcome, fact.reference) == ("payment", "closed", "PAY-0001")
    assert fact.amount is None


def test_events_not_ours_are_ignored(
    stripe_provider: StripeProvider,
    fake_stripe: FakeStripe,  # noqa: F811
) -> None:
    foreign = {
        "id": "cs_test_other",
        "object": "checkout.session",
        "mode": "payment",
        "metadata": {},
    }
    body, headers = fake_stripe.build_event("checkout.session.completed", foreign)
    [fact] = stripe_provider.notification_verify(body=body, headers=headers)
    assert fact.kind == "ignored"
    body, headers = fake_stripe.build_event("customer.created", {"id": "cus_1"})
    [fact] = stripe_provider.notification_verify(body=body, headers=headers)
    assert (fact.kind, fact.detail) == ("ignored", "customer.created")


# Notification verification --------------------------------------------------------------


@pytest.fixture
def signed_event(fake_stripe: FakeStripe) -> tuple[bytes, dict[str, str]]:  # noqa: F811
    session = {
        "id": "cs_test_1",
        "object": "checkout.session",
        "mode": "payment",
        "status": "complete",
        "payment_status": "paid",
        "amount_total": 999,
        "currency": "eur",
        "payment_intent": "pi_1",
        "client_reference_id": "PAY-9",
        "metadata": {"reference": "PAY-9"},
    }
    return fake_stripe.build_event("checkout.session.completed", session)


def test_a_signed_event_verifies(
    stripe_provider: StripeProvider, signed_event: tuple[bytes, dict[str, str]]
) -> None:
    body, headers = signed_event
    lower = {name.lower(): value for name, value in headers.items()}
    [fact] = stripe_provider.notification_verify(body=body, headers=lower)
    assert (fact.reference, fact.amount, fact.currency) == ("PAY-9", Decimal("9.99"), "EUR")


def test_it_rejects_a_signature_made_with_another_secret(
    stripe_provider: StripeProvider,
    fake_stripe: FakeStripe,  # noqa: F811
    signed_event: tuple[bytes, dict[str, str]],
) -> None:
    body, _ = signed_event
    forged = {"Stripe-Signature": fake_stripe.signature_header(body, secret="whsec_guessed")}
    with pytest.raises(NotificationRejected):
        stripe_provider.notification_verify(body=body, headers=forged)


def test_it_rejects_a_tampered_body(
    stripe_provider: StripeProvider, signed_event: tuple[bytes, dict[str, str]]
) -> None:
    body, headers = signed_event
    tampered = body.replace(b'"amount_total": 999', b'"amount_total": 99900')
    assert tampered != body
    with pytest.raises(NotificationRejected):
        stripe_provider.notification_verify(body=tampered, headers=headers)


@pytest.mark.parametrize("offset", [-301, -3600, 301])
def test_it_rejects_a_timestamp_outside_the_tolerance(
    stripe_provider: StripeProvider,
    fake_stripe: FakeStripe,  # noqa: F811
    signed_event: tuple[bytes, dict[str, str]],
    offset: int,
) -> None:
    body, _ = signed_event
    stale = {
        "Stripe-Signature": fake_stripe.signature_header(body, timestamp=int(time.time()) + offset)
    }
    with pytest.raises(NotificationRejected):
        stripe_provider.notification_verify(body=body, headers=stale)


def test_it_accepts_a_timestamp_within_the_tolerance(
    stripe_provider: StripeProvider,
    fake_stripe: FakeStripe,  # noqa: F811
    signed_event: tuple[bytes, dict[str, str]],
) -> None:
    body, _ = signed_event
    recent = {
        "Stripe-Signature": fake_stripe.signature_header(body, timestamp=int(time.time()) - 240)
    }
    assert stripe_provider.notification_verify(body=body, headers=recent)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Stripe-Signature": ""},
        {"Stripe-Signature": "garbage"},
        {"Stripe-Signature": "t=x,v1=y"},
    ],
)
def test_it_rejects_a_missing_or_malformed_header(
    stripe_provider: StripeProvider,
    signed_event: tuple[bytes, dict[str, str]],
    headers: dict[str, str],
) -> None:
    body, _ = signed_event
    with pytest.raises(NotificationRejected):
        stripe_provider.notification_verify(body=body, headers=headers)


def test_it_verifies_before_it_parses(
    stripe_provider: StripeProvider,
    fake_stripe: FakeStripe,  # noqa: F811
) -> None:
    junk = b"\xff not json"
    with pytest.raises(NotificationRejected, match="Stripe-Signature"):
        stripe_provider.notification_verify(body=junk, headers={})
    # Correctly signed but not an event: rejected after the signature, never parsed before.
    not_event = b'{"object": "charge"}'
    headers = {"Stripe-Signature": fake_stripe.signature_header(not_event)}
    with pytest.raises(NotificationRejected, match="not an event"):
        stripe_provider.notification_verify(body=not_event, headers=headers)


def test_a_rolled_secret_and_its_successor_both_verify(
    fake_stripe: FakeStripe,  # noqa: F811
    signed_event: tuple[bytes, dict[str, str]],
) -> None:
    provider = StripeProvider(
        {**fake_stripe.config, "WEBHOOK_SECRET": f"whsec_new, {fake_stripe.webhook_secret}"}
    )
    body, headers = signed_event
    assert provider.notification_verify(body=body, headers=headers)


def test_it_replies_as_stripe_expects(stripe_provider: StripeProvider) -> None:
    accepted = stripe_provider.notification_reply(accepted=True)
    refused = stripe_provider.notification_reply(accepted=False)
    assert (accepted.status, accepted.content_type) == (200, "application/json")
    assert json.loads(accepted.body) == {"received": True}
    assert refused.status == 400


# The hosted page and webhook delivery ----------------------------------------------------


class WebhookReceiver:
    """A stand-in for RenewDesk's notification endpoint: verifies with the adapter."""

    def __init__(self, provider: StripeProvider) -> None:
        self.facts: list[ProviderEvent] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                try:
                    receiver.facts += provider.notification_verify(
                        body=body, headers=dict(self.headers.items())
                    )
                    reply = provider.notification_reply(accepted=True)
                except NotificationRejected:
                    reply = provider.notification_reply(accepted=False)
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/payments/notify/card/"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()


@pytest.fixture
def receiver(stripe_provider: StripeProvider, fake_stripe: FakeStripe) -> Iterator[WebhookReceiver]:  # noqa: F811
    receiver = WebhookReceiver(stripe_provider)
    fake_stripe.webhook_url = receiver.url
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


def test_paying_on_the_hosted_page_redirects_and_delivers_the_signed_event(
    stripe_provider: StripeProvider,
    fake_stripe: FakeStripe,  # noqa: F811
    receiver: WebhookReceiver,
) -> None:
    checkout = start_checkout(stripe_provider)

    page = requests.post(
        checkout.redirect_url, data={"card": "visa-4242"}, allow_redirects=False, timeout=5
    )
    fake_stripe.wait_for_deliveries()

    assert page.status_code == 303
    assert page.headers["Location"] == RETURN_URL
    assert {d.status for d in fake_stripe.deliveries} == {200}
    payments = [f for f in receiver.facts if f.kind == "payment"]
    assert [(f.reference, f.outcome, f.amount) for f in payments] == [
        ("PAY-0001", "succeeded", Decimal("1234.50"))
    ]


def test_a_declined_card_on_the_hosted_page_leaves_the_session_open(
    stripe_provider: StripeProvider,
    fake_stripe: FakeStripe,  # noqa: F811
    receiver: WebhookReceiver,
) -> None:
    checkout = start_checkout(stripe_provider)
    page = requests.post(checkout.redirect_url, data={"card": "declined-0002"}, timeout=5)
    fake_stripe.wait_for_deliveries()
    assert "declined" in page.text
    assert fake_stripe.sessions[checkout.provider_reference]["status"] == "open"
    assert receiver.facts == []


def test_a_notification_signed_with_another_secret_gets_a_400(
    fake_stripe: FakeStripe,  # noqa: F811
    receiver: WebhookReceiver,
) -> None:
    fake_stripe.webhook_secret = "whsec_" + "0" * 32  # the endpoint still expects the old one
    fake_stripe.emit("customer.created", {"id": "cus_1", "object": "customer"})
    fake_stripe.wait_for_deliveries()
    assert [d.status for d in fake_stripe.deliveries] == [400]
    assert receiver.facts == []


# Saved cards -----------------------------------------------------------------------------


def start_mandate(provider: StripeProvider, reference: str = "MND-0001") -> Any:
    return provider.mandate_start(
        reference=reference,
        customer_email="li@example.com",
        return_url=RETURN_URL,
        notify_url="",
        language="zh-hans",
    )


def test_saving_a_card_gives_a_mandate_with_only_ids_and_a_display_text(
    stripe_provider: StripeProvider,
    fake_stripe: FakeStripe,  # noqa: F811
) -> None:
    checkout = start_mandate(stripe_provider)
    session = fake_stripe.sessions[checkout.provider_reference]
    assert (session["mode"], session["client_reference_id"]) == ("setup", "MND-0001")
    assert fake_stripe.customers[session["customer"]]["email"] == "li@example.com"
    assert checkout.redirect_url == session["url"]

    fake_stripe.complete_session(checkout.provider_reference, brand="mastercard", last4="4444")
    [fact] = verify(
        stripe_provider, fake_stripe, fake_stripe.last_event("checkout.session.completed")
    )

    card_id = fake_stripe.setup_intents[session["setup_intent"]]["payment_method"]
    assert (fact.kind, fact.outcome, fact.reference) == ("mandate", "succeeded", "MND-0001")
    assert dict(fact.mandate) == {
        "customer": session["customer"],
        "payment_method": card_id,
        "display": "Mastercard •••• 4444",
    }


def test_a_mandate_is_found_by_reference_or_by_session(
    stripe_provider: StripeProvider,
    fake_stripe: FakeStripe,  # noqa: F811
) -> None:
    assert stripe_provider.mandate_query(reference="MND-0001") is None
    checkout = start_mandate(stripe_provider)
    open_fact = stripe_provider.mandate_query(reference="MND-0001")
    assert open_fact is not None and open_fact.outcome == "pending"

    fake_stripe.complete_session(checkout.provider_reference)

    by_reference = stripe_provider.mandate_query(reference="MND-0001")
    by_session = stripe_provider.mandate_query(
        reference="MND-0001", provider_reference=checkout.provider_reference
    )
    assert by_reference is not None and by_session is not None
    assert by_reference.outcome == by_session.outcome == "succeeded"
    assert by_reference.mandate["display"] == "Visa •••• 4242"
    assert by_reference.event_id == f"query:{by_reference.transaction_id}:succeeded"


def test_an_abandoned_card_page_closes_the_mandate(
    stripe_provider: StripeProvider,
    fake_stripe: FakeStripe,  # noqa: F811
) -> None:
    checkout = start_mandate(stripe_provider)
    fake_stripe.expire_session(checkout.provider_reference)
    [fact] = verify(
        stripe_provider, fake_stripe, fake_stripe.last_event("checkout.session.expired")
    )
    assert (fact.kind, fact.outcome, fact.mandate) == ("mandate", "closed", {})


def charge(
    provider: StripeProvider, mandate: dict[str, str], reference: str = "REN-0001"
) -> ProviderEvent:
    return provider.charge_off_session(
        mandate=mandate,
        reference=reference,
        amount=Decimal("880.00"),
        currency="CNY",
        description="Auto-renewal HT-2026-000124",
        notify_url="",
    )


def test_an_off_session_charge_succeeds_once_per_reference(
    stripe_provider: StripeProvider,
    fake_stripe: FakeStripe,  # noqa: F811
) -> None:
    mandate = fake_stripe.attach_card()
    fact = charge(stripe_provider, mandate)
    again = charge(stripe_provider, mandate)

    [intent] = fake_stripe.payment_intents.values()
    assert (fact.kind, fact.outcome, fact.reference) == ("payment", "succeeded", "REN-0001")
    assert (fact.transaction_id, fact.amount, fact.currency) == (
        intent["id"],
        Decimal("880.00"),
        "CNY",
    )
    assert fact.event_id == f"query:{intent['id']}:succeeded"
    assert again == fact
    assert intent["amount"] == 88000
    sent = fake_stripe.requests_to("POST", "/v1/payment_intents")[0]
    assert (sent["off_session"], sent["confirm"]) == ("true", "true")
    [notified] = verify(
        stripe_provider, fake_stripe, fake_stripe.last_event("payment_intent.succeeded")
    )
    assert (notified.outcome, notified.transaction_id, notified.amount) == (
        "succeeded",
        intent["id"],
        Decimal("880.00"),
    )


@pytest.mark.parametrize(
    ("code", "decline_code", "detail"),
    [
        ("card_declined", "insufficient_funds", "card_declined (insufficient_funds)"),
        ("authentication_required", "", "authentication_required"),
    ],
)
def test_a_declined_off_session_charge_fails_with_the_reason(
    stripe_provider: StripeProvider,
    fake_stripe: FakeStripe,  # noqa: F811
    code: str,
    decline_code: str,
    detail: str,
) -> None:
    fake_stripe.decline_next_charge(code, decline_code)
    fact = charge(stripe_provider, fake_stripe.attach_card())

    [intent] = fake_stripe.payment_intents.values()
    assert (fact.kind, fact.outcome, fact.detail) == ("payment", "failed", detail)
    assert (fact.reference, fact.transaction_id, fact.amount) == ("REN-0001", intent["id"], None)
    [notified] = verify(
        stripe_provider, fake_stripe, fake_stripe.last_event("payment_intent.payment_failed")
    )
    assert (notified.outcome, notified.reference, notified.detail) == ("failed", "REN-0001", detail)


def test_a_charge_on_a_mandate_without_a_card_is_refused(stripe_provider: StripeProvider) -> None:
    with pytest.raises(ProviderError):
        charge(stripe_provider, {"customer": "cus_1", "payment_method": ""})


def test_withdrawing_consent_detaches_the_card(
    stripe_provider: StripeProvider,
    fake_stripe: FakeStripe,  # noqa: F811
) -> None:
    mandate = fake_stripe.attach_card()
    stripe_provider.mandate_cancel(mandate=mandate)
    assert fake_stripe.payment_methods[mandate["payment_method"]]["customer"] is None
    stripe_provider.mandate_cancel(mandate=mandate)  # already detached: done
    fake_stripe.decline_next_charge()  # never reached: the card belongs to nobody now
    with pytest.raises(ProviderError):
        charge(stripe_provider, mandate)


# Refunds ---------------------------------------------------------------------------------


def paid_checkout(provider: StripeProvider, fake: FakeStripe) -> str:
    checkout = start_checkout(provider)
    fake.complete_session(checkout.provider_reference)
    return str(fake.sessions[checkout.provider_reference]["payment_intent"])


def refund(provider: StripeProvider, intent_id: str, amount: str = "200.00") -> ProviderEvent:
    return provider.refund_start(
        payment_reference="PAY-0001",
        transaction_id=intent_id,
        refund_reference="RF-0001",
        amount=Decimal(amount),
        total=Decimal("1234.50"),
        currency="CNY",
        reason="Cancellation CX-17: pro-rata refund",
        notify_url="",
    )


def test_a_refund_goes_back_on_the_payment_intent(
    stripe_provider: StripeProvider,
    fake_stripe: FakeStripe,  # noqa: F811
) -> None:
    intent_id = paid_checkout(stripe_provider, fake_stripe)
    fact = refund(stripe_provider, intent_id)

    [stored] = fake_stripe.refunds.values()
    assert (stored["payment_intent"], stored["amount"]) == (intent_id, 20000)
    assert stored["metadata"]["reference"] == "RF-0001"
    assert (fact.kind, fact.outcome, fact.reference) == ("refund", "succeeded", "RF-0001")
    assert (fact.transaction_id, fact.amount, fact.currency) == (
        stored["id"],
        Decimal("200.00"),
        "CNY",
    )
    [notified] = verify(stripe_provider, fake_stripe, fake_stripe.last_event("refund.created"))
    assert (notified.kind, notified.reference, notified.outcome) == (
        "refund",
        "RF-0001",
        "succeeded",
    )


def test_a_pending_refund_is_closed_by_its_event_and_found_by_query(
    stripe_provider: StripeProvider,
    fake_stripe: FakeStripe,  # noqa: F811
) -> None:
    intent_id = paid_checkout(stripe_provider, fake_stripe)
    fake_stripe.next_refund_status = "pending"
    assert refund(stripe_provider, intent_id).outcome == "pending"
    [stored] = fake_stripe.refunds.values()

    event = fake_stripe.settle_refund(stored["id"], "succeeded")
    [fact] = verify(stripe_provider, fake_stripe, event)
    queried = stripe_provider.refund_query(refund_reference="RF-0001", payment_reference="PAY-0001")

    assert (fact.event_id, fact.kind, fact.outcome, fact.reference) == (
        event["id"],
        "refund",
        "succeeded",
        "RF-0001",
    )
    assert queried is not None
    assert (queried.outcome, queried.amount, queried.event_id) == (
        "succeeded",
        Decimal("200.00"),
        f"query:{stored['id']}:succeeded",
    )
    assert (
        stripe_provider.refund_query(refund_reference="RF-9999", payment_reference="PAY-0001")
        is None
    )


def test_a_failed_refund_says_so(
    stripe_provider: StripeProvider,
    fake_stripe: FakeStripe,  # noqa: F811
) -> None:
    intent_id = paid_checkout(stripe_provider, fake_stripe)
    fake_stripe.next_refund_status = "pending"
    refund(stripe_provider, intent_id)
    [stored] = fake_stripe.refunds.values()
    fake_stripe.settle_refund(stored["id"], "failed")
    [fact] = verify(stripe_provider, fake_stripe, fake_stripe.last_event("refund.failed"))
    assert (fact.outcome, fact.reference) == ("failed", "RF-0001")


def test_a_refund_larger_than_what_is_left_is_a_provider_error(
    stripe_provider: StripeProvider,
    fake_stripe: FakeStripe,  # noqa: F811
) -> None:
    intent_id = paid_checkout(stripe_provider, fake_stripe)
    refund(stripe_provider, intent_id, "1234.50")
    with pytest.raises(ProviderError) as raised:
        stripe_provider.refund_start(
            payment_reference="PAY-0001",
            transaction_id=intent_id,
            refund_reference="RF-0002",
            amount=Decimal("1.00"),
            total=Decimal("1234.50"),
            currency="CNY",
            reason="",
            notify_url="",
        )
    assert (raised.value.code, raised.value.transient) == ("charge_already_refunded", False)


# Queries ---------------------------------------------------------------------------------


def test_a_payment_is_found_by_session_or_by_reference(
    stripe_provider: StripeProvider,
    fake_stripe: FakeStripe,  # noqa: F811
) -> None:
    checkout = start_checkout(stripe_provider)
    session_id = checkout.provider_reference
    assert stripe_provider.payment_query(reference="PAY-0001") is None
    open_fact = stripe_provider.payment_query(reference="PAY-0001", provider_reference=session_id)
    assert open_fact is not None
    assert (open_fact.outcome, open_fact.event_id) == ("pending", f"query:{session_id}:pending")

    fake_stripe.complete_session(session_id)

    intent_id = fake_stripe.sessions[session_id]["payment_intent"]
    for fact in (
        stripe_provider.payment_query(reference="PAY-0001"),
        stripe_provider.payment_query(reference="PAY-0001", provider_reference=session_id),
    ):
        assert fact is not None
        assert (fact.kind, fact.outcome, fact.reference) == ("payment", "succeeded", "PAY-0001")
        assert (fact.transaction_id, fact.amount, fact.currency) == (
            intent_id,
            Decimal("1234.50"),
            "CNY",
        )
        assert fact.event_id == f"query:{intent_id}:succeeded"


def test_an_expired_session_queries_as_closed(
    stripe_provider: StripeProvider,
    fake_stripe: FakeStripe,  # noqa: F811
) -> None:
    checkout = start_checkout(stripe_provider)
    fake_stripe.expire_session(checkout.provider_reference)
    fact = stripe_provider.payment_query(
        reference="PAY-0001", provider_reference=checkout.provider_reference
    )
    assert fact is not None and fact.outcome == "closed"


def test_a_reference_outside_the_protocol_never_reaches_a_search(
    stripe_provider: StripeProvider,
    fake_stripe: FakeStripe,  # noqa: F811
) -> None:
    with pytest.raises(ProviderError):
        stripe_provider.payment_query(reference="x' OR metadata['a']:'b")
    assert fake_stripe.requests == []


# Configuration and errors ----------------------------------------------------------------


@pytest.mark.parametrize(
    "config",
    [
        {},
        {"SECRET_KEY": "sk_test_abc"},
        {"WEBHOOK_SECRET": "whsec_abc"},
        {"SECRET_KEY": "pk_test_abc", "WEBHOOK_SECRET": "whsec_abc"},
        {"SECRET_KEY": "sk_test_abc", "WEBHOOK_SECRET": "secret"},
    ],
)
def test_it_is_not_configured_without_both_keys(config: dict[str, str]) -> None:
    provider = StripeProvider(config)
    assert not provider.is_configured()
    with pytest.raises(ProviderError) as raised:
        start_checkout(provider)
    assert raised.value.code == "not_configured"


def test_it_reads_the_card_settings_when_given_none(
    fake_stripe: FakeStripe,  # noqa: F811
    settings: Any,
) -> None:
    settings.PAYMENT_PROVIDERS = {**settings.PAYMENT_PROVIDERS, "card": fake_stripe.config}
    provider = StripeProvider()
    assert provider.is_configured()
    assert start_checkout(provider).redirect_url.startswith(fake_stripe.base_url)
    settings.PAYMENT_PROVIDERS = {**settings.PAYMENT_PROVIDERS, "card": {}}
    assert not StripeProvider().is_configured()


def test_a_server_error_is_a_transient_provider_error(
    stripe_provider: StripeProvider,
    fake_stripe: FakeStripe,  # noqa: F811
) -> None:
    fake_stripe.fail_next_requests(500)
    with pytest.raises(ProviderError) as raised:
        start_checkout(stripe_provider)
    assert raised.value.transient
    assert fake_stripe.sessions == {}


def test_a_rate_limit_is_transient(
    stripe_provider: StripeProvider,
    fake_stripe: FakeStripe,  # noqa: F811
) -> None:
    fake_stripe.fail_next_requests(429)
    with pytest.raises(ProviderError) as raised:
        charge(stripe_provider, {"customer": "cus_1", "payment_method": "pm_1"})
    assert raised.value.transient


def test_one_server_error_is_retried_with_the_same_idempotency_key(
    fake_stripe: FakeStripe,  # noqa: F811
) -> None:
    provider = StripeProvider({**fake_stripe.config, "MAX_NETWORK_RETRIES": "1"})
    fake_stripe.fail_next_requests(500)
    fact = charge(provider, fake_stripe.attach_card())
    assert fact.outcome == "succeeded"
    assert len(fake_stripe.payment_intents) == 1


def test_an_unreachable_api_is_a_transient_provider_error(fake_stripe: FakeStripe) -> None:  # noqa: F811
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    provider = StripeProvider({**fake_stripe.config, "API_BASE": f"http://127.0.0.1:{port}"})
    with pytest.raises(ProviderError) as raised:
        start_checkout(provider)
    assert (raised.value.transient, raised.value.code) == (True, "connection")


def test_a_wrong_key_is_a_lasting_error_that_does_not_show_the_key(
    fake_stripe: FakeStripe,  # noqa: F811
) -> None:
    wrong = "sk_test_" + "9" * 24
    provider = StripeProvider({**fake_stripe.config, "SECRET_KEY": wrong})
    with pytest.raises(ProviderError) as raised:
        start_checkout(provider)
    assert not raised.value.transient
    assert wrong not in str(raised.value) and wrong[-4:] not in str(raised.value)
    assert fake_stripe.secret_key not in repr(provider) + str(vars(raised.value))
