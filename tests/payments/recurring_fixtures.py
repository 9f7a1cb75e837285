"""Fixtures of the refund, mandate and auto-charge tests (imported by those modules): the
providers replaced by the in-memory recurring fake, and an automatically renewed contract
with its open invoice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.services import invoice_issue
from contracts.models import ContractEvent, ContractStatus
from payments import providers
from payments.providers.base import ProviderEvent
from payments.services.attempts import attempt_create, payment_event_apply
from tests.factories import ContractFactory
from tests.payments.recurring_fake import FakeBank

FAKES = {
    "card": "tests.payments.recurring_fake.FakeRecurringProvider",
    "alipay": "tests.payments.recurring_fake.FakeAlipay",
    "wechat_pay": "tests.payments.recurring_fake.FakeWeChatPay",
}


@pytest.fixture
def fake_bank(monkeypatch, settings):
    for code, path in FAKES.items():
        monkeypatch.setitem(providers.PROVIDER_CLASSES, code, path)
    settings.PAYMENTS_PUBLIC_URL = "https://renew.example.com"
    FakeBank.reset()
    yield FakeBank
    FakeBank.reset()


@pytest.fixture
def queued(monkeypatch):
    """Tasks queued by name, instead of the broker."""
    sent: list[tuple[str, tuple]] = []
    monkeypatch.setattr(
        "payments.services.refunds.task_enqueue", lambda name, *args: sent.append((name, args))
    )
    return sent


def renewed_successor(customer, *, start: dt.date | None = None, amount=Decimal("1200.00")):
    """A contract that renewed automatically into a successor starting ``start`` (today by
    default), with the successor's open term invoice due on its start."""
    start = start or timezone.localdate()
    predecessor = ContractFactory(
        customer=customer, status=ContractStatus.RENEWED, end_date=start - dt.timedelta(days=1)
    )
    successor = ContractFactory(
        customer=customer,
        status=ContractStatus.ACTIVE,
        start_date=start,
        end_date=start + dt.timedelta(days=364),
        predecessor=predecessor,
        auto_renew=True,
        total_amount=amount,
    )
    ContractEvent.objects.create(
        contract=predecessor, kind="auto_renewed", payload={"successor": successor.number}
    )
    invoice = invoice_issue(
        customer=customer,
        contract=successor,
        kind="term",
        amount=amount,
        due_date=start,
        issue_date=start,
    )
    return predecessor, successor, invoice


def paid_online(invoice, *, method="card", reference="pi_1", amount=None):
    """Money taken by one of our own attempts at ``method``'s provider, recorded the way
    production records it: an attempt, then the provider's verified payment event."""
    amount = amount or invoice.balance
    attempt = attempt_create(invoice=invoice, provider_code=method)
    result = payment_event_apply(
        method,
        ProviderEvent(
            event_id=f"evt-{reference}",
            kind="payment",
            reference=attempt.reference,
            outcome="succeeded",
            transaction_id=reference,
            amount=amount,
            currency=invoice.currency,
        ),
    )
    attempt.refresh_from_db()
    assert attempt.payment is not None, result
    return attempt.payment
