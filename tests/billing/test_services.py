from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
import time_machine
from django.db import connection

from billing.models import Invoice, InvoiceStatus, Payment
from billing.services import (
    credit_note_issue,
    dunning_sweep,
    invoice_issue,
    invoice_plan_issue,
    payment_record,
    refund_record,
)
from contracts.models import ContractStatus
from core.errors import DomainError
from core.models import Task
from tests.factories import ContractFactory, CustomerFactory, StaffFactory


def test_it_numbers_invoices_readably_and_consecutively(invoice):
    year = dt.date.today().year
    second = invoice_issue(customer=invoice.customer, amount=Decimal("1"), due_date=dt.date.today())
    assert invoice.number == f"INV-{year}-000001"
    assert second.number == f"INV-{year}-000002"


def test_a_partial_payment_leaves_the_balance_open(invoice, manager):
    payment_record(
        invoice=invoice, amount=Decimal("1000"), method="bank_transfer", reference="T1", by=manager
    )
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN and invoice.balance == Decimal("2000.00")


def test_an_over_payment_settles_the_invoice_and_asks_the_manager_to_refund(invoice, manager):
    payment = payment_record(
        invoice=invoice, amount=Decimal("3500"), method="wechat_pay", reference="WX-1", by=manager
    )
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID and invoice.amount_paid == Decimal("3000.00")
    assert payment.unapplied_amount == Decimal("500.00")
    task = Task.objects.get(dedupe_key=f"overpayment:{payment.pk}")
    assert task.assignee == manager and "500.00 CNY" in task.title


def test_over_payment_and_refund_messages_group_thousands(invoice, manager):
    payment = payment_record(
        invoice=invoice, amount=Decimal("4500"), method="wechat_pay", reference="WX-2", by=manager
    )
    task = Task.objects.get(dedupe_key=f"overpayment:{payment.pk}")
    assert "1,500.00" in task.title


def test_the_same_reference_is_recorded_once_per_method(invoice, manager):
    payment_record(invoice=invoice, amount=Decimal("100"), method="alipay", reference="A-1")
    with pytest.raises(DomainError) as err:
        payment_record(invoice=invoice, amount=Decimal("100"), method="alipay", reference="A-1")
    assert err.value.code == "duplicate_payment"
    # the same slip number under another method is another payment
    payment_record(invoice=invoice, amount=Decimal("100"), method="cash", reference="A-1")
    assert Payment.objects.count() == 2


@pytest.mark.parametrize(
    ("amount", "method", "reference"),
    [("0", "cash", "R"), ("-5", "cash", "R"), ("10", "bitcoin", "R"), ("10", "cash", "  ")],
)
def test_it_refuses_bad_payment_input_with_a_message(invoice, amount, method, reference):
    with pytest.raises(DomainError):
        payment_record(invoice=invoice, amount=Decimal(amount), method=method, reference=reference)
    assert not Payment.objects.exists()


def test_a_void_invoice_cannot_be_paid(invoice, manager):
    from billing.services import invoice_void

    invoice_void(invoice=invoice, by=manager, reason="wrong")
    with pytest.raises(DomainError):
        payment_record(invoice=invoice, amount=Decimal("1"), method="cash", reference="x")


def test_paying_the_first_invoice_activates_a_contract_awaiting_payment(manager):
    customer = CustomerFactory(account_manager=manager)
    today = dt.date.today()
    contract = ContractFactory(
        customer=customer,
        status=ContractStatus.AWAITING_PAYMENT,
        start_date=today + dt.timedelta(days=10),
        end_date=today + dt.timedelta(days=375),
    )
    (inv,) = invoice_plan_issue(contract=contract, installments=1, first_due_date=today)
    payment_record(invoice=inv, amount=inv.amount, method="card", reference="C-1")
    contract.refresh_from_db()
    assert contract.status == ContractStatus.SCHEDULED
    assert contract.events.filter(kind="paid").count() == 1


def test_installments_split_the_total_in_cents_and_spread_over_the_term(manager):
    today = dt.date(2026, 1, 1)
    contract = ContractFactory(
        status=ContractStatus.AWAITING_PAYMENT,
        start_date=today,
        end_date=dt.date(2026, 12, 31),
        total_amount=Decimal("1000.00"),
    )
    invoices = invoice_plan_issue(contract=contract, installments=3, first_due_date=today)
    assert [i.amount for i in invoices] == [Decimal("333.33"), Decimal("333.33"), Decimal("333.34")]
    assert [i.due_date for i in invoices] == [
        dt.date(2026, 1, 1),
        dt.date(2026, 5, 1),
        dt.date(2026, 9, 1),
    ]
    # idempotent: a second call issues nothing new
    assert invoice_plan_issue(contract=contract, installments=3, first_due_date=today) == invoices
    assert Invoice.objects.filter(contract=contract).count() == 3


def test_a_credit_note_reduces_the_balance_and_the_rest_is_refunded(invoice, manager):
    payment_record(invoice=invoice, amount=Decimal("2500"), method="bank_transfer", reference="B-9")
    note = credit_note_issue(
        customer=invoice.customer,
        invoice=invoice,
        amount=Decimal("800"),
        reason="Goodwill",
        by=manager,
    )
    invoice.refresh_from_db()
    assert note.number.startswith("CN-")
    assert note.applied_amount == Decimal("500.00") and invoice.status == InvoiceStatus.PAID
    assert note.refund_due == Decimal("300.00")
    with pytest.raises(DomainError):
        refund_record(
            credit_note=note, amount=Decimal("301"), method="bank_transfer", reference="RF-1"
        )
    refund_record(
        credit_note=note,
        amount=Decimal("300"),
        method="bank_transfer",
        reference="RF-1",
        by=manager,
    )
    note.refresh_from_db()
    assert note.refund_due == Decimal("0")


def test_dunning_waits_for_the_grace_period_then_reminds_weekly_three_times(
    manager, settings, monkeypatch
):
    sent = []
    monkeypatch.setattr(
        "notifications.customer_messages._enqueue_now", lambda **kw: sent.append(kw)
    )
    settings.RENEWDESK = {**settings.RENEWDESK, "DUNNING_GRACE_DAYS": 7}
    customer = CustomerFactory(account_manager=manager)
    due = dt.date(2026, 3, 1)
    with time_machine.travel(dt.datetime(2026, 2, 1, tzinfo=dt.UTC), tick=False):
        inv = invoice_issue(customer=customer, amount=Decimal("10"), due_date=due)
    assert dunning_sweep(as_of=dt.date(2026, 3, 8)) == 0  # within grace
    assert dunning_sweep(as_of=dt.date(2026, 3, 9)) == 1
    assert dunning_sweep(as_of=dt.date(2026, 3, 9)) == 0  # same day again: nothing
    assert dunning_sweep(as_of=dt.date(2026, 3, 12)) == 0  # not a week yet
    assert dunning_sweep(as_of=dt.date(2026, 3, 16)) == 1
    assert dunning_sweep(as_of=dt.date(2026, 3, 23)) == 1
    assert dunning_sweep(as_of=dt.date(2026, 3, 30)) == 0  # three at most
    inv.refresh_from_db()
    assert inv.dunning_level == 3
    assert Task.objects.filter(dedupe_key__startswith=f"dunning-call:{inv.pk}:").count() == 2


def test_a_paid_invoice_gets_no_dunning(invoice):
    payment_record(invoice=invoice, amount=invoice.amount, method="cash", reference="S-1")
    assert dunning_sweep(as_of=invoice.due_date + dt.timedelta(days=60)) == 0


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_submissions_of_one_reference_make_one_payment():
    manager = StaffFactory()
    customer = CustomerFactory(account_manager=manager)
    inv = invoice_issue(customer=customer, amount=Decimal("500"), due_date=dt.date.today())
    barrier = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def submit():
        try:
            barrier.wait()
            payment_record(
                invoice=inv, amount=Decimal("500"), method="bank_transfer", reference="SAME-REF"
            )
            result = "ok"
        except DomainError as exc:
            result = exc.code
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=submit) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 1 and outcomes.count("duplicate_payment") == 19
    inv.refresh_from_db()
    assert Payment.objects.filter(reference="SAME-REF").count() == 1
    assert inv.amount_paid == Decimal("500.00") and inv.status == InvoiceStatus.PAID
