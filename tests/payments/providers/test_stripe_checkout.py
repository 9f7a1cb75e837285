# ruff: noqa: F811 - the fixtures imported from stripe_helpers are named as parameters
"""The card adapter (payments/providers/stripe_checkout.py) through the real ``stripe`` SDK
against the local fake Stripe API (tests/payments/fakes/stripe_api.py): checkout, refunds,
queries, configuration and errors."""

from __future__ import annotations

import socket
from decimal import Decimal
from typing import Any

import pytest
import requests

from payments.providers import provider_get
from payments.providers.base import (
    PaymentProvider,
    ProviderError,
    ProviderEvent,
    RecurringProvider,
)
from payments.providers.stripe_checkout import StripeProvider
from tests.payments.fakes.stripe_api import FakeStripe, fake_stripe_settings  # noqa: F401
from tests.payments.providers.stripe_helpers import (
    RETURN_URL,
    charge,
    fake_stripe,  # noqa: F401 (a fixture)
    start_checkout,
    stripe_provider,  # noqa: F401 (a fixture)
    verify,
)

# Checkout ----------------------------------------------------------------------------


def test_it_implements_both_protocols(stripe_provider: StripeProvider) -> None:
    assert isinstance(stripe_provider, PaymentProvider)
    assert isinstance(stripe_provider, RecurringProvider)
    assert stripe_provider.code == "card"


def test_it_creates_a_checkout_session_in_minor_units(
    stripe_provider: StripeProvider,
    fake_stripe: FakeStripe,
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
    fake_stripe: FakeStripe,
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
    fake_stripe: FakeStripe,
    amount: str,
    currency: str,
) -> None:
    with pytest.raises(ProviderError) as raised:
        start_checkout(stripe_provider, amount=amount, currency=currency)
    assert raised.value.code == "invalid_amount"
    assert fake_stripe.requests == []


def test_a_repeated_start_returns_the_same_session(
    stripe_provider: StripeProvider,
    fake_stripe: FakeStripe,
) -> None:
    first = start_checkout(stripe_provider)
    again = start_checkout(stripe_provider)
    other_language = start_checkout(stripe_provider, language="en")
    assert again.provider_reference == first.provider_reference
    assert other_language.provider_reference != first.provider_reference
    assert len(fake_stripe.sessions) == 2


def test_a_paid_session_gives_a_verified_payment_in_decimal(
    stripe_provider: StripeProvider,
    fake_stripe: FakeStripe,
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
    fake_stripe: FakeStripe,
) -> None:
    checkout = start_checkout(stripe_provider)
    fake_stripe.complete_session(checkout.provider_reference)
    [fact] = verify(
        stripe_provider, fake_stripe, fake_stripe.last_event("payment_intent.succeeded")
    )
    assert fact.kind == "ignored"


def test_an_expired_session_closes_the_payment(
    stripe_provider: StripeProvider,
    fake_stripe: FakeStripe,
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
    fake_stripe: FakeStripe,
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
    fake_stripe: FakeStripe,
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
    fake_stripe: FakeStripe,
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
    fake_stripe: FakeStripe,
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
    fake_stripe: FakeStripe,
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
    fake_stripe: FakeStripe,
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
    fake_stripe: FakeStripe,
) -> None:
    checkout = start_checkout(stripe_provider)
    fake_stripe.expire_session(checkout.provider_reference)
    fact = stripe_provider.payment_query(
        reference="PAY-0001", provider_reference=checkout.provider_reference
    )
    assert fact is not None and fact.outcome == "closed"


def test_a_reference_outside_the_protocol_never_reaches_a_search(
    stripe_provider: StripeProvider,
    fake_stripe: FakeStripe,
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
    fake_stripe: FakeStripe,
    settings: Any,
) -> None:
    settings.PAYMENT_PROVIDERS = {**settings.PAYMENT_PROVIDERS, "card": fake_stripe.config}
    provider = StripeProvider()
    assert provider.is_configured()
    assert start_checkout(provider).redirect_url.startswith(fake_stripe.base_url)
    settings.PAYMENT_PROVIDERS = {**settings.PAYMENT_PROVIDERS, "card": {}}
    assert not StripeProvider().is_configured()


def test_the_settings_fixture_makes_card_the_configured_provider(
    fake_stripe_settings: FakeStripe,
) -> None:
    provider = provider_get("card")
    assert isinstance(provider, StripeProvider) and provider.is_configured()
    checkout = start_checkout(provider)
    assert checkout.provider_reference in fake_stripe_settings.sessions


def test_a_server_error_is_a_transient_provider_error(
    stripe_provider: StripeProvider,
    fake_stripe: FakeStripe,
) -> None:
    fake_stripe.fail_next_requests(500)
    with pytest.raises(ProviderError) as raised:
        start_checkout(stripe_provider)
    assert raised.value.transient
    assert fake_stripe.sessions == {}


def test_a_rate_limit_is_transient(
    stripe_provider: StripeProvider,
    fake_stripe: FakeStripe,
) -> None:
    fake_stripe.fail_next_requests(429)
    with pytest.raises(ProviderError) as raised:
        charge(stripe_provider, {"customer": "cus_1", "payment_method": "pm_1"})
    assert raised.value.transient


def test_one_server_error_is_retried_with_the_same_idempotency_key(
    fake_stripe: FakeStripe,
) -> None:
    provider = StripeProvider({**fake_stripe.config, "MAX_NETWORK_RETRIES": "1"})
    fake_stripe.fail_next_requests(500)
    fact = charge(provider, fake_stripe.attach_card())
    assert fact.outcome == "succeeded"
    assert len(fake_stripe.payment_intents) == 1


def test_an_unreachable_api_is_a_transient_provider_error(fake_stripe: FakeStripe) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    provider = StripeProvider({**fake_stripe.config, "API_BASE": f"http://127.0.0.1:{port}"})
    with pytest.raises(ProviderError) as raised:
        start_checkout(provider)
    assert (raised.value.transient, raised.value.code) == (True, "connection")


def test_a_wrong_key_is_a_lasting_error_that_does_not_show_the_key(
    fake_stripe: FakeStripe,
) -> None:
    wrong = "sk_test_" + "9" * 24
    provider = StripeProvider({**fake_stripe.config, "SECRET_KEY": wrong})
    with pytest.raises(ProviderError) as raised:
        start_checkout(provider)
    assert not raised.value.transient
    assert wrong not in str(raised.value) and wrong[-4:] not in str(raised.value)
    assert fake_stripe.secret_key not in repr(provider) + str(vars(raised.value))
