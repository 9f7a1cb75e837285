# ruff: noqa: F811 - the fixtures imported from stripe_helpers are named as parameters
"""Saved cards for auto-renewal (payments/providers/stripe_saved_cards.py) against the fake
Stripe API: setup-mode Checkout, the mandate event, off-session charges, detaching."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from payments.providers.base import ProviderError
from payments.providers.stripe_checkout import StripeProvider
from tests.payments.fakes.stripe_api import FakeStripe
from tests.payments.providers.stripe_helpers import (
    RETURN_URL,
    charge,
    fake_stripe,  # noqa: F401 (a fixture)
    stripe_provider,  # noqa: F401 (a fixture)
    verify,
)

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
    fake_stripe: FakeStripe,
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
    fake_stripe: FakeStripe,
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
    fake_stripe: FakeStripe,
) -> None:
    checkout = start_mandate(stripe_provider)
    fake_stripe.expire_session(checkout.provider_reference)
    [fact] = verify(
        stripe_provider, fake_stripe, fake_stripe.last_event("checkout.session.expired")
    )
    assert (fact.kind, fact.outcome, fact.mandate) == ("mandate", "closed", {})


def test_an_off_session_charge_succeeds_once_per_reference(
    stripe_provider: StripeProvider,
    fake_stripe: FakeStripe,
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
    fake_stripe: FakeStripe,
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
    fake_stripe: FakeStripe,
) -> None:
    mandate = fake_stripe.attach_card()
    stripe_provider.mandate_cancel(mandate=mandate)
    assert fake_stripe.payment_methods[mandate["payment_method"]]["customer"] is None
    stripe_provider.mandate_cancel(mandate=mandate)  # already detached: done
    fake_stripe.decline_next_charge()  # never reached: the card belongs to nobody now
    with pytest.raises(ProviderError):
        charge(stripe_provider, mandate)
