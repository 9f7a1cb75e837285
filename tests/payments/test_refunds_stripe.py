# ruff: noqa: F811 - the fake Stripe fixtures imported below are named as parameters
"""From a completed cancellation to a refund through Stripe, against the local fake Stripe
API (tests/payments/fakes/stripe_api.py): the card payment taken by Checkout, the
cancellation's credit note, the refund request, and Stripe's refund webhook posted to the
notification endpoint with the Django test client, recorded once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from billing.models import CreditNote, Payment, PaymentKind
from billing.services import invoice_plan_issue
from payments.models import ProviderNotification, ProviderRefund, RefundStatus
from payments.services.attempts import attempt_start
from payments.services.refunds import refund_submit
from retention import services as retention
from retention.models import Status
from tests.factories import ContactFactory, ContractFactory, CustomerFactory, PortalAccountFactory
from tests.payments.fakes.stripe_api import (  # noqa: F401 (fixtures)
    FakeStripe,
    fake_stripe,
    fake_stripe_settings,
)

pytestmark = pytest.mark.django_db

NOTIFY = "/payments/notify/card/"


def _deliver(client, fake: FakeStripe, event: dict) -> int:
    """Post a Stripe event to our notification endpoint as Stripe signs it."""
    body, headers = fake.signed(event)
    response = client.post(
        NOTIFY,
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=headers["Stripe-Signature"],
    )
    return response.status_code


@pytest.fixture
def frozen():
    # 2026-03-10 10:00 in Shanghai: the contract runs 2026-01-01 .. 2026-12-31.
    with time_machine.travel(dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC), tick=False) as t:
        yield t


@pytest.fixture
def paid_by_card(client, manager, fake_stripe_settings, settings, frozen):
    """A yearly contract whose invoice the customer paid by card through Stripe Checkout."""
    settings.PAYMENTS_PUBLIC_URL = "https://renew.example.com"
    customer = CustomerFactory(account_manager=manager, language="en")
    ContactFactory(customer=customer, email="buyer@example.com")
    contract = ContractFactory(
        customer=customer,
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 12, 31),
        total_amount=Decimal("12000.00"),
        annual_value=Decimal("12000.00"),
        notice_period_days=30,
        etf_kind="percent_remaining",
        etf_value=Decimal("20"),
        refund_policy="pro_rata",
    )
    [invoice] = invoice_plan_issue(
        contract=contract, installments=1, first_due_date=dt.date(2026, 1, 1)
    )
    attempt = attempt_start(
        invoice=invoice,
        provider_code="card",
        by=None,
        return_url="https://renew.example.com/portal/",
        notify_url="https://renew.example.com/payments/notify/card/",
    )
    fake_stripe_settings.complete_session(attempt.provider_reference)
    assert _deliver(client, fake_stripe_settings, _last(fake_stripe_settings, "checkout")) == 200
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    return contract, PortalAccountFactory(customer=customer).user


def _last(fake: FakeStripe, what: str) -> dict:
    kinds = {"checkout": "checkout.session.completed", "refund": "refund.updated"}
    return fake.last_event(kinds[what])


def test_a_completed_cancellation_refunds_the_card_through_stripe_once(
    client, manager, paid_by_card, fake_stripe_settings
):
    fake = fake_stripe_settings
    contract, portal_user = paid_by_card
    request = retention.cancellation_submit(
        contract=contract, kind="early_termination", reason="budget", by=portal_user
    )
    if request.status != Status.CONFIRMED:
        request = retention.cancellation_confirm(
            request=request, by=manager, effective_date=dt.date(2026, 7, 1)
        )
    assert request.refund_amount > 0

    assert retention.cancellations_complete_due(as_of=dt.date(2026, 7, 1)) == 1

    note = CreditNote.objects.get(contract=contract)
    [refund] = ProviderRefund.objects.filter(credit_note=note)
    assert (refund.provider, refund.amount, refund.status) == (
        "card",
        note.refund_due,
        RefundStatus.PENDING,
    )

    # The request reaches Stripe; the bank settles it later (refund.updated).
    fake.next_refund_status = "pending"
    refund = refund_submit(refund_id=refund.pk)
    assert refund.submitted_at is not None and refund.status == RefundStatus.PENDING
    [stored] = fake.refunds.values()
    assert stored["metadata"]["reference"] == refund.reference
    assert stored["payment_intent"] == refund.payment.reference  # the card payment's intent
    assert refund.provider_refund_id == stored["id"]
    assert fake.major_units(stored["amount"], "CNY") == refund.amount
    assert not Payment.objects.filter(credit_note=note, kind=PaymentKind.REFUND).exists()

    event = fake.settle_refund(stored["id"], "succeeded")
    assert _deliver(client, fake, event) == 200
    assert _deliver(client, fake, event) == 200  # Stripe delivers again: nothing more

    refund.refresh_from_db()
    note.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED
    [paid_back] = Payment.objects.filter(credit_note=note, kind=PaymentKind.REFUND)
    assert (paid_back.method, paid_back.reference, paid_back.amount) == (
        "card",
        stored["id"],
        refund.amount,
    )
    assert refund.refund_payment == paid_back
    assert note.refund_due == 0
    assert ProviderNotification.objects.filter(provider="card", event_id=event["id"]).count() == 1
    assert contract.events.filter(kind="provider_refund_succeeded").count() == 1
