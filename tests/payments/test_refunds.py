# ruff: noqa: F811 - the fixtures imported from recurring_fixtures are named as parameters
"""Refunds through the provider that took the payment (payments/services/refunds.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing.models import Payment, PaymentKind
from billing.services import credit_note_issue, payment_record
from contracts.models import ContractEvent
from core.models import Task
from payments.models import ProviderNotification, ProviderRefund, RefundStatus
from payments.services.notifications import notification_process
from payments.services.refunds import (
    credit_note_refunds_start,
    refund_event_apply,
    refund_submit,
    refunds_sweep,
)
from tests.payments.recurring_fake import FakeRecurringProvider
from tests.payments.recurring_fixtures import fake_bank, paid_online, queued  # noqa: F401

pytestmark = pytest.mark.django_db


def _paid_online(invoice, *, method="card", reference="pi_1", amount=None):
    return paid_online(invoice, method=method, reference=reference, amount=amount)


def _credit(invoice, amount):
    return credit_note_issue(
        customer=invoice.customer, contract=invoice.contract, amount=amount, reason="Pro-rata"
    )


def _refunds_paid(note):
    return Payment.objects.filter(kind=PaymentKind.REFUND, credit_note=note)


def test_a_refund_on_an_online_payment_goes_back_through_its_provider(
    fake_bank, queued, invoice, django_capture_on_commit_callbacks
):
    payment = _paid_online(invoice)
    note = _credit(invoice, Decimal("500.00"))
    with django_capture_on_commit_callbacks(execute=True):
        plan = credit_note_refunds_start(credit_note=note)
    [refund] = plan.refunds
    assert (refund.payment, refund.amount, refund.provider) == (payment, Decimal("500.00"), "card")
    assert refund.status == RefundStatus.PENDING and plan.manual_amount == 0
    assert queued == [("payments.refund_tasks.refund_submit_task", (refund.pk,))]
    assert not Task.objects.filter(dedupe_key__startswith="refund-manual").exists()


def test_asking_twice_plans_nothing_more(fake_bank, queued, invoice):
    _paid_online(invoice)
    note = _credit(invoice, Decimal("500.00"))
    credit_note_refunds_start(credit_note=note)
    assert credit_note_refunds_start(credit_note=note).refunds == []
    assert ProviderRefund.objects.count() == 1


def test_a_bank_transfer_payment_keeps_the_manual_refund_task(fake_bank, queued, invoice, manager):
    payment_record(invoice=invoice, amount=invoice.amount, method="bank_transfer", reference="BT-9")
    note = _credit(invoice, Decimal("500.00"))
    plan = credit_note_refunds_start(credit_note=note)
    assert plan.refunds == [] and plan.manual_amount == Decimal("500.00")
    task = Task.objects.get(dedupe_key__startswith=f"refund-manual:{note.pk}")
    assert task.assignee == manager and "500.00 CNY" in task.title and note.number in task.title


def test_more_than_the_online_payment_splits_into_provider_and_manual(fake_bank, queued, invoice):
    _paid_online(invoice, amount=Decimal("1000.00"))
    payment_record(
        invoice=invoice, amount=Decimal("2000.00"), method="bank_transfer", reference="BT"
    )
    note = _credit(invoice, Decimal("1500.00"))
    plan = credit_note_refunds_start(credit_note=note)
    assert [r.amount for r in plan.refunds] == [Decimal("1000.00")]
    assert plan.manual_amount == Decimal("500.00")


def test_the_providers_notification_records_the_refund_once(fake_bank, queued, invoice):
    _paid_online(invoice)
    note = _credit(invoice, Decimal("500.00"))
    [refund] = credit_note_refunds_start(credit_note=note).refunds
    refund = refund_submit(refund_id=refund.pk)
    assert refund.submitted_at is not None and refund.status == RefundStatus.PENDING
    sent = fake_bank.state("card").refunds[refund.reference]
    assert sent["transaction_id"] == "pi_1" and sent["amount"] == Decimal("500.00")
    assert sent["notify_url"].startswith("https://renew.example.com/")
    body, headers = FakeRecurringProvider().refund_notification(refund.reference, "succeeded")

    first = notification_process("card", body, headers)
    replay = notification_process("card", body, headers)

    assert first.accepted and replay.accepted
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED
    [paid] = _refunds_paid(note)
    assert (paid.method, paid.reference, paid.amount) == ("card", "re_1", Decimal("500.00"))
    assert refund.refund_payment == paid
    note.refresh_from_db()
    assert note.refund_due == 0
    assert ProviderNotification.objects.filter(provider="card").count() == 1
    assert (
        ContractEvent.objects.filter(
            contract=invoice.contract, kind="provider_refund_succeeded"
        ).count()
        == 1
    )


def test_a_query_and_the_notification_of_the_same_refund_make_one_refund(
    fake_bank, queued, invoice
):
    _paid_online(invoice)
    note = _credit(invoice, Decimal("500.00"))
    [refund] = credit_note_refunds_start(credit_note=note).refunds
    refund_submit(refund_id=refund.pk)
    provider = FakeRecurringProvider()
    body, headers = provider.refund_notification(refund.reference, "succeeded")
    queried = provider.refund_query(refund_reference=refund.reference, payment_reference="")
    assert refund_event_apply("card", queried) == "refund recorded"
    assert notification_process("card", body, headers).accepted
    assert _refunds_paid(note).count() == 1


def test_an_immediate_success_is_recorded_from_the_providers_answer(fake_bank, queued, invoice):
    fake_bank.state("card").refund_answer = "succeeded"
    _paid_online(invoice)
    note = _credit(invoice, Decimal("500.00"))
    [refund] = credit_note_refunds_start(credit_note=note).refunds
    assert refund_submit(refund_id=refund.pk).status == RefundStatus.SUCCEEDED
    assert _refunds_paid(note).count() == 1


def test_a_refused_refund_fails_and_asks_staff_to_pay_by_hand(fake_bank, queued, invoice, manager):
    fake_bank.state("card").refund_answer = "error"
    _paid_online(invoice)
    note = _credit(invoice, Decimal("500.00"))
    [refund] = credit_note_refunds_start(credit_note=note).refunds
    refund = refund_submit(refund_id=refund.pk)
    assert refund.status == RefundStatus.FAILED and refund.last_error
    assert _refunds_paid(note).count() == 0
    task = Task.objects.get(dedupe_key__startswith=f"refund-manual:{note.pk}")
    assert task.assignee == manager and "refund refused" in task.details


def test_a_failed_refund_notification_fails_it_and_a_replay_changes_nothing(
    fake_bank, queued, invoice
):
    _paid_online(invoice)
    note = _credit(invoice, Decimal("500.00"))
    [refund] = credit_note_refunds_start(credit_note=note).refunds
    refund_submit(refund_id=refund.pk)
    event = FakeRecurringProvider().refund_query(
        refund_reference=refund.reference, payment_reference=""
    )
    fake_bank.state("card").refunds[refund.reference]["outcome"] = "failed"
    failed = FakeRecurringProvider().refund_query(
        refund_reference=refund.reference, payment_reference=""
    )
    assert event.outcome == "pending"
    assert refund_event_apply("card", failed) == "refund failed"
    assert refund_event_apply("card", failed).startswith("duplicate")
    refund.refresh_from_db()
    assert refund.status == RefundStatus.FAILED
    # A failed refund frees the payment: planning again sends a new request.
    again = credit_note_refunds_start(credit_note=note).refunds
    assert [r.amount for r in again] == [Decimal("500.00")] and again[0].pk != refund.pk


def test_a_transient_error_is_retried_by_the_sweep(fake_bank, queued, invoice):
    import datetime as dt

    from django.utils import timezone

    fake_bank.state("card").refund_answer = "transient"
    _paid_online(invoice)
    note = _credit(invoice, Decimal("500.00"))
    [refund] = credit_note_refunds_start(credit_note=note).refunds
    refund = refund_submit(refund_id=refund.pk)
    assert refund.status == RefundStatus.PENDING and refund.submitted_at is None
    fake_bank.state("card").refund_answer = "pending"
    later = timezone.now() + dt.timedelta(minutes=11)
    assert refunds_sweep(now=later) == 1
    refund.refresh_from_db()
    assert refund.submitted_at is not None and refund.submit_attempts == 2
    # Half an hour on, the sweep asks the provider, which has settled it meanwhile.
    fake_bank.state("card").refunds[refund.reference]["outcome"] = "succeeded"
    refunds_sweep(now=timezone.now() + dt.timedelta(minutes=31))
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED and _refunds_paid(note).count() == 1


def test_an_unknown_refund_reference_is_ignored(fake_bank):
    from payments.providers.base import ProviderEvent

    event = ProviderEvent(event_id="e", kind="refund", reference="RFNOPE", outcome="succeeded")
    assert refund_event_apply("card", event).startswith("ignored")
