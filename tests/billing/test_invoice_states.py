"""billing.invoice_states: the invoice's table, paying and voiding with their events,
refusals, rollback, and two payments racing to settle one invoice (real PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import translation

from billing.invoice_states import (
    INVOICE_TRANSITIONS,
    INVOICES,
    invoice_lock,
    invoice_mark_paid,
    invoice_mark_void,
)
from billing.models import Invoice, InvoiceStatus, Payment
from billing.services import credit_note_issue, invoice_issue, invoice_void, payment_record
from contracts.models import ContractEvent
from core.errors import DomainError, InvalidTransition
from tests.factories import ContractFactory, CustomerFactory

I = InvoiceStatus  # noqa: E741
REFUSED = [
    (src, dst) for src in I.values for dst in I.values if dst not in INVOICE_TRANSITIONS[src]
]
DUE = dt.date(2026, 12, 15)


def _invoice(*, contract: bool = True, amount: str = "3000.00") -> Invoice:
    customer = CustomerFactory()
    return invoice_issue(
        customer=customer,
        contract=ContractFactory(customer=customer) if contract else None,
        amount=Decimal(amount),
        description="Support",
        issue_date=dt.date(2026, 12, 1),
        due_date=DUE,
    )


def _events(invoice: Invoice, kind: str) -> list[ContractEvent]:
    return list(ContractEvent.objects.filter(contract_id=invoice.contract_id, kind=kind))


def test_the_table_is_what_the_services_do():
    assert INVOICE_TRANSITIONS == {I.OPEN: {I.PAID, I.VOID}, I.PAID: set(), I.VOID: set()}
    assert I.OPEN in INVOICES.initial


@pytest.mark.django_db
def test_open_to_paid_stamps_paid_at_and_writes_the_event(manager):
    invoice = _invoice()

    with transaction.atomic():
        invoice_mark_paid(invoice_lock(invoice), by=manager)

    invoice.refresh_from_db()
    assert invoice.status == I.PAID and invoice.paid_at is not None
    [event] = _events(invoice, "invoice_paid")
    assert event.actor == manager
    assert event.payload == {"invoice": invoice.number, "amount": "3000.00"}
    assert (event.from_status, event.to_status) == ("", "")


@pytest.mark.django_db
def test_open_to_void_writes_the_event_with_the_reason(manager):
    invoice = _invoice()

    invoice_mark_void(invoice, by=manager, reason="contract abandoned")

    invoice.refresh_from_db()
    assert invoice.status == I.VOID
    [event] = _events(invoice, "invoice_voided")
    assert (event.reason, event.payload) == ("contract abandoned", {"invoice": invoice.number})


@pytest.mark.django_db
def test_an_invoice_outside_a_contract_changes_without_a_timeline_event():
    invoice = _invoice(contract=False)

    invoice_mark_void(invoice, by=None, reason="wrong")

    invoice.refresh_from_db()
    assert invoice.status == I.VOID
    assert not ContractEvent.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("src", "dst"), REFUSED)
def test_every_other_change_is_refused_and_writes_nothing(src, dst):
    invoice = _invoice()
    Invoice.objects.filter(pk=invoice.pk).update(status=src)  # a row already in ``src``
    before = ContractEvent.objects.count()

    with pytest.raises(InvalidTransition) as refused, transaction.atomic():
        INVOICES.change_locked(invoice_lock(invoice), dst)

    assert refused.value.message
    invoice.refresh_from_db()
    assert invoice.status == src
    assert ContractEvent.objects.count() == before


@pytest.mark.django_db
def test_paying_a_void_invoice_is_refused_in_the_readers_language():
    invoice = _invoice()
    invoice_void(invoice=invoice, by=None, reason="wrong")

    with translation.override("zh-hans"), pytest.raises(InvalidTransition) as refused:
        with transaction.atomic():
            invoice_mark_paid(invoice_lock(invoice))

    assert "发票" in refused.value.message and "不能变为" in refused.value.message
    assert _events(invoice, "invoice_paid") == []


@pytest.mark.django_db
def test_voiding_twice_changes_nothing_the_second_time():
    invoice = _invoice()

    invoice_void(invoice=invoice, by=None, reason="wrong")
    invoice_void(invoice=invoice, by=None, reason="again")

    assert len(_events(invoice, "invoice_voided")) == 1


@pytest.mark.django_db
def test_a_paid_invoice_is_not_voided():
    invoice = _invoice()
    payment_record(invoice=invoice, amount=Decimal("3000.00"), method="card", reference="P-1")

    with pytest.raises(DomainError):
        invoice_void(invoice=invoice, by=None, reason="wrong")

    invoice.refresh_from_db()
    assert invoice.status == I.PAID


@pytest.mark.django_db
def test_a_partial_payment_keeps_it_open_and_the_rest_settles_it(manager):
    invoice = _invoice()

    payment_record(invoice=invoice, amount=Decimal("1000.00"), method="card", reference="P-1")
    assert invoice.status == I.OPEN and _events(invoice, "invoice_paid") == []
    payment = payment_record(
        invoice=invoice, amount=Decimal("2000.00"), method="card", reference="P-2", by=manager
    )

    assert invoice.status == I.PAID
    [event] = _events(invoice, "invoice_paid")
    assert event.payload["payment"] == payment.number


@pytest.mark.django_db
def test_a_credit_note_that_covers_the_balance_settles_it():
    invoice = _invoice()

    credit_note_issue(
        customer=invoice.customer, invoice=invoice, amount=Decimal("3000.00"), reason="goodwill"
    )

    invoice.refresh_from_db()
    assert invoice.status == I.PAID
    [event] = _events(invoice, "invoice_paid")
    assert "payment" not in event.payload


@pytest.mark.django_db
def test_a_rolled_back_settlement_leaves_neither_the_status_nor_the_event():
    invoice = _invoice()

    with pytest.raises(RuntimeError), transaction.atomic():
        payment_record(invoice=invoice, amount=Decimal("3000.00"), method="card", reference="R")
        raise RuntimeError("the caller failed after the payment")

    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_at, invoice.amount_paid) == (I.OPEN, None, 0)
    assert _events(invoice, "invoice_paid") == []
    assert not Payment.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_two_payments_of_the_whole_amount_at_once_settle_it_once(round_):
    invoice = _invoice()
    barrier = threading.Barrier(2)

    def pay(reference: str) -> None:
        try:
            barrier.wait()
            payment_record(
                invoice=invoice, amount=Decimal("3000.00"), method="card", reference=reference
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=pay, args=(f"RACE-{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid) == (I.PAID, Decimal("3000.00"))
    assert len(_events(invoice, "invoice_paid")) == 1
    # The second payment is kept as unapplied credit, not applied twice.
    applied = sorted(Payment.objects.values_list("applied_amount", flat=True))
    assert applied == [Decimal("0.00"), Decimal("3000.00")]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_voiding_and_paying_the_same_invoice_at_once_one_wins(round_):
    invoice = _invoice()
    barrier = threading.Barrier(2)
    results: dict[str, bool] = {}

    def void() -> None:
        try:
            barrier.wait()
            invoice_mark_void(invoice, by=None, reason="race")
            results["void"] = True
        except DomainError:
            results["void"] = False
        finally:
            connection.close()

    def paid() -> None:
        try:
            barrier.wait()
            with transaction.atomic():
                invoice_mark_paid(invoice_lock(invoice))
            results["paid"] = True
        except DomainError:
            results["paid"] = False
        finally:
            connection.close()

    threads = [threading.Thread(target=void), threading.Thread(target=paid)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(results.values()) == [False, True]
    invoice.refresh_from_db()
    assert invoice.status == (I.VOID if results["void"] else I.PAID)
    kinds = ContractEvent.objects.filter(kind__in=["invoice_paid", "invoice_voided"])
    assert [e.kind for e in kinds] == ["invoice_voided" if results["void"] else "invoice_paid"]
