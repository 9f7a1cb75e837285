# ruff: noqa: F811 - the fixtures imported from recurring_fixtures are named as parameters
"""Automatic payment of auto-renewed invoices with a saved method
(payments/services/auto_charge.py)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from billing.models import InvoiceStatus, Payment
from contracts.models import ContractEvent
from payments.mandate_states import mandate_change, mandate_lock
from payments.models import AttemptStatus, MandateCharge, MandateStatus, PaymentMandate
from payments.services.auto_charge import auto_charge_due_ids, auto_charge_sweep
from payments.services.notifications import notification_process
from tests.payments.recurring_fake import FakeRecurringProvider
from tests.payments.recurring_fixtures import fake_bank, renewed_successor  # noqa: F401


def _active_mandate(contract, provider="card"):
    mandate = PaymentMandate.objects.create(
        reference=f"MD{contract.pk}X",
        customer=contract.customer,
        contract=contract,
        provider=provider,
    )
    from django.db import transaction

    with transaction.atomic():
        mandate_change(
            mandate_lock(mandate),
            MandateStatus.ACTIVE,
            updates={
                "provider_data": {"customer": "cus_1", "payment_method": "pm_1"},
                "display": "Visa •••• 4242",
            },
        )
    return mandate


@pytest.fixture
def renewed(db, customer):
    predecessor, successor, invoice = renewed_successor(customer)
    return predecessor, successor, invoice


@pytest.mark.django_db
def test_the_successors_invoice_is_charged_once_on_its_start_date(fake_bank, renewed):
    predecessor, successor, invoice = renewed
    _active_mandate(predecessor)
    today = timezone.localdate()

    assert auto_charge_due_ids(as_of=today) == [invoice.pk]
    result = auto_charge_sweep(as_of=today)
    again = auto_charge_sweep(as_of=today)

    assert result["charged"] == 1 and again["charged"] == 0
    [charge] = fake_bank.state("card").charges
    assert charge["mandate"] == {"customer": "cus_1", "payment_method": "pm_1"}
    assert charge["amount"] == invoice.amount
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    [payment] = Payment.objects.filter(invoice=invoice)
    assert (payment.method, payment.reference, payment.source) == ("card", "pi_1", "webhook")
    claim = MandateCharge.objects.get(invoice=invoice)
    assert claim.attempt.off_session and claim.attempt.status == AttemptStatus.SUCCEEDED


@pytest.mark.django_db
def test_nothing_is_charged_without_an_active_method_or_before_the_start(fake_bank, customer):
    predecessor, successor, invoice = renewed_successor(
        customer, start=timezone.localdate() + dt.timedelta(days=3)
    )
    today = timezone.localdate()
    assert auto_charge_due_ids(as_of=today) == []  # no mandate
    _active_mandate(predecessor)
    assert auto_charge_due_ids(as_of=today) == []  # starts in three days
    assert auto_charge_due_ids(as_of=successor.start_date) == [invoice.pk]


@pytest.mark.django_db
def test_another_contracts_method_is_never_charged(fake_bank, customer):
    from tests.factories import ContractFactory

    _predecessor, _successor, invoice = renewed_successor(customer)
    _active_mandate(ContractFactory(customer=customer))  # consent given for another contract
    auto_charge_sweep(as_of=timezone.localdate())
    assert fake_bank.state("card").charges == []
    assert not MandateCharge.objects.exists()


@pytest.mark.django_db
def test_a_declined_charge_falls_back_to_dunning_with_the_pay_now_link(
    fake_bank, renewed, django_capture_on_commit_callbacks
):
    predecessor, successor, invoice = renewed
    _active_mandate(predecessor)
    fake_bank.state("card").charge_answer = "failed"
    with django_capture_on_commit_callbacks(execute=True):
        auto_charge_sweep(as_of=timezone.localdate())
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN and invoice.dunning_level == 1
    claim = MandateCharge.objects.get(invoice=invoice)
    assert claim.attempt.status == AttemptStatus.FAILED and claim.fallback_at is not None
    event = ContractEvent.objects.get(contract=successor, kind="auto_charge_failed")
    assert event.payload["invoice"] == invoice.number
    assert ContractEvent.objects.filter(contract=successor, kind="dunning_sent").count() == 1


@pytest.mark.django_db
def test_a_provider_error_fails_the_attempt_and_falls_back(fake_bank, renewed):
    predecessor, successor, invoice = renewed
    _active_mandate(predecessor)
    fake_bank.state("card").charge_answer = "error"
    auto_charge_sweep(as_of=timezone.localdate())
    claim = MandateCharge.objects.get(invoice=invoice)
    assert claim.answer == "error" and claim.attempt.status == AttemptStatus.FAILED
    assert ContractEvent.objects.filter(contract=successor, kind="auto_charge_failed").exists()
    assert not Payment.objects.filter(invoice=invoice).exists()


@pytest.mark.django_db
def test_a_pending_charge_is_recorded_from_the_providers_notification_only(fake_bank, renewed):
    predecessor, successor, invoice = renewed
    _active_mandate(predecessor)
    fake_bank.state("card").charge_answer = "pending"
    auto_charge_sweep(as_of=timezone.localdate())
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN  # never from our own assumption
    claim = MandateCharge.objects.get(invoice=invoice)
    body, headers = FakeRecurringProvider().charge_notification(
        claim.attempt.reference, "succeeded"
    )
    assert notification_process("card", body, headers).accepted
    assert notification_process("card", body, headers).accepted  # a replay
    invoice.refresh_from_db()
    assert (
        invoice.status == InvoiceStatus.PAID
        and Payment.objects.filter(invoice=invoice).count() == 1
    )


@pytest.mark.django_db
def test_a_pending_charge_that_fails_later_is_handed_to_dunning_by_the_sweep(fake_bank, renewed):
    predecessor, successor, invoice = renewed
    _active_mandate(predecessor)
    fake_bank.state("card").charge_answer = "pending"
    auto_charge_sweep(as_of=timezone.localdate())
    claim = MandateCharge.objects.get(invoice=invoice)
    body, headers = FakeRecurringProvider().charge_notification(claim.attempt.reference, "failed")
    notification_process("card", body, headers)
    result = auto_charge_sweep(as_of=timezone.localdate())
    assert result == {"charged": 0, "handed_to_dunning": 1}
    assert auto_charge_sweep(as_of=timezone.localdate())["handed_to_dunning"] == 0
    assert ContractEvent.objects.filter(contract=successor, kind="auto_charge_failed").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_charge_once(fake_bank, customer):
    """Real PostgreSQL, two connections: the unique claim lets one sweep charge."""
    predecessor, successor, invoice = renewed_successor(customer)
    _active_mandate(predecessor)
    today = timezone.localdate()
    barrier = threading.Barrier(2)
    results: list[object] = []

    def sweep() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(auto_charge_sweep(as_of=today))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert len(results) == 2 and not any(isinstance(r, Exception) for r in results), results
    assert len(fake_bank.state("card").charges) == 1
    assert MandateCharge.objects.filter(invoice=invoice).count() == 1
    assert Payment.objects.filter(invoice=invoice).count() == 1
