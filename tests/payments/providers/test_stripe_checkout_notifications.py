# ruff: noqa: F811 - the fixtures imported from stripe_helpers are named as parameters
"""Stripe webhook notifications: the Stripe-Signature header verified before anything is
read, and the fake's hosted page delivering signed events to an endpoint."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from payments.providers.base import NotificationRejected, ProviderEvent
from payments.providers.stripe_checkout import StripeProvider
from tests.payments.fakes.stripe_api import FakeStripe
from tests.payments.providers.stripe_helpers import (
    RETURN_URL,
    fake_stripe,  # noqa: F401 (a fixture)
    start_checkout,
    stripe_provider,  # noqa: F401 (a fixture)
)

# Notification verification --------------------------------------------------------------


@pytest.fixture
def signed_event(fake_stripe: FakeStripe) -> tuple[bytes, dict[str, str]]:
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
    fake_stripe: FakeStripe,
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
    fake_stripe: FakeStripe,
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
    fake_stripe: FakeStripe,
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
    fake_stripe: FakeStripe,
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
    fake_stripe: FakeStripe,
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
def receiver(stripe_provider: StripeProvider, fake_stripe: FakeStripe) -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver(stripe_provider)
    fake_stripe.webhook_url = receiver.url
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


def test_paying_on_the_hosted_page_redirects_and_delivers_the_signed_event(
    stripe_provider: StripeProvider,
    fake_stripe: FakeStripe,
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
    fake_stripe: FakeStripe,
    receiver: WebhookReceiver,
) -> None:
    checkout = start_checkout(stripe_provider)
    page = requests.post(checkout.redirect_url, data={"card": "declined-0002"}, timeout=5)
    fake_stripe.wait_for_deliveries()
    assert "declined" in page.text
    assert fake_stripe.sessions[checkout.provider_reference]["status"] == "open"
    assert receiver.facts == []


def test_a_notification_signed_with_another_secret_gets_a_400(
    fake_stripe: FakeStripe,
    receiver: WebhookReceiver,
) -> None:
    fake_stripe.webhook_secret = "whsec_" + "0" * 32  # the endpoint still expects the old one
    fake_stripe.emit("customer.created", {"id": "cus_1", "object": "customer"})
    fake_stripe.wait_for_deliveries()
    assert [d.status for d in fake_stripe.deliveries] == [400]
    assert receiver.facts == []
