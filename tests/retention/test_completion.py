from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from billing.models import CreditNote, Invoice
from billing.services import invoice_plan_issue, payment_record
from contracts.models import ContractEvent, ContractStatus
from retention import services
from retention.models import Status

pytestmark = pytest.mark.django_db


def confirmed(contract, portal_user, manager, **kw):
    req = services.cancellation_submit(
        contract=contract,
        kind=kw.pop("kind", "early_termination"),
        reason="budget",
        by=portal_user,
    )
    if req.status != Status.CONFIRMED:
        req = services.cancellation_confirm(request=req, by=manager, **kw)
    return req


def test_it_terminates_the_contract_on_the_effective_date(contract, portal_user, manager, today):
    req = confirmed(contract, portal_user, manager)
    assert req.effective_date == dt.date(2026, 4, 9)

    assert services.cancellations_complete_due(as_of=dt.date(2026, 4, 8)) == 0
    assert services.cancellations_complete_due(as_of=dt.date(2026, 4, 9)) == 1

    req.refresh_from_db()
    contract.refresh_from_db()
    assert req.status == Status.COMPLETED
    assert req.completed_at is not None
    assert contract.status == ContractStatus.TERMINATED
    terminated = ContractEvent.objects.get(contract=contract, kind="terminated")
    assert terminated.payload["request"] == req.pk
    assert ContractEvent.objects.filter(contract=contract, kind="cancellation_completed").exists()


def test_running_the_sweep_twice_completes_once(contract, portal_user, manager, today):
    confirmed(contract, portal_user, manager)
    assert services.cancellations_complete_due(as_of=dt.date(2026, 5, 1)) == 1
    assert services.cancellations_complete_due(as_of=dt.date(2026, 5, 1)) == 0
    assert ContractEvent.objects.filter(contract=contract, kind="terminated").count() == 1


def test_a_prepaid_term_gets_a_credit_note_for_the_refund(contract, portal_user, manager, today):
    [invoice] = invoice_plan_issue(
        contract=contract, installments=1, first_due_date=dt.date(2026, 1, 1)
    )
    payment_record(
        invoice=invoice, amount=Decimal("12000.00"), method="bank_transfer", reference="T-1"
    )
    req = confirmed(contract, portal_user, manager, effective_date=dt.date(2026, 7, 1))
    assert req.refund_amount == Decimal("4839.46")
    assert req.fee_to_invoice == Decimal("0.00")

    services.cancellations_complete_due(as_of=dt.date(2026, 7, 1))

    req.refresh_from_db()
    note = CreditNote.objects.get(contract=contract)
    assert note.amount == Decimal("4839.46")
    assert note.refund_due == Decimal("4839.46")
    assert req.credit_note_ref == note.number
    assert not Invoice.objects.filter(contract=contract, kind="fee").exists()
    assert req.settlement_note == ""


def test_partly_paid_installments_are_cut_to_the_service_used_plus_a_fee_invoice(
    contract, portal_user, manager, today
):
    type(contract).objects.filter(pk=contract.pk).update(etf_kind="fixed", etf_value=Decimal("300"))
    contract.refresh_from_db()
    invoices = invoice_plan_issue(
        contract=contract, installments=4, first_due_date=dt.date(2026, 1, 1)
    )
    payment_record(
        invoice=invoices[0], amount=Decimal("3000.00"), method="bank_transfer", reference="T-1"
    )
    # Effective 2026-07-01: 181 days used = 5950.68; paid 3000 → 2950.68 still owed.
    req = confirmed(contract, portal_user, manager, effective_date=dt.date(2026, 7, 1))
    assert (req.fee_amount, req.refund_amount, req.fee_to_invoice) == (
        Decimal("300.00"),
        Decimal("0.00"),
        Decimal("300.00"),
    )

    services.cancellations_complete_due(as_of=dt.date(2026, 7, 1))

    for inv in invoices:
        inv.refresh_from_db()
    # What is still owed for service used (2950.68) stays on installment 2 (the excess
    # 49.32 is credited); installments 3 and 4 are for service never given: voided.
    assert invoices[1].balance == Decimal("2950.68")
    assert invoices[2].status == "void"
    assert invoices[3].status == "void"
    fee = Invoice.objects.get(contract=contract, kind="fee")
    assert fee.amount == Decimal("300.00")
    req.refresh_from_db()
    assert req.final_invoice_ref == fee.number
    assert not CreditNote.objects.filter(contract=contract, amount__gt=100).exists()


def test_a_non_renewal_completes_when_the_term_has_ended(contract, portal_user, manager, today):
    req = confirmed(contract, portal_user, manager, kind="non_renewal")
    assert req.effective_date == dt.date(2027, 1, 1)
    assert services.cancellations_complete_due(as_of=dt.date(2026, 12, 31)) == 0

    # The end-of-term processing normally expires it first; here our sweep runs first.
    assert services.cancellations_complete_due(as_of=dt.date(2027, 1, 1)) == 1

    contract.refresh_from_db()
    req.refresh_from_db()
    assert contract.status == ContractStatus.EXPIRED
    assert req.status == Status.COMPLETED


def test_a_non_renewal_of_an_already_expired_contract_just_closes(
    contract, portal_user, manager, today
):
    from contracts.services import contract_expire

    req = confirmed(contract, portal_user, manager, kind="non_renewal")
    contract_expire(contract=contract)
    assert services.cancellations_complete_due(as_of=dt.date(2027, 1, 1)) == 1
    req.refresh_from_db()
    assert req.status == Status.COMPLETED
    assert ContractEvent.objects.filter(contract=contract, kind="expired").count() == 1


def test_the_customer_gets_a_final_confirmation(
    contract, portal_user, manager, today, django_capture_on_commit_callbacks
):
    from notifications.models import Message

    confirmed(contract, portal_user, manager)
    with django_capture_on_commit_callbacks(execute=True):
        services.cancellations_complete_due(as_of=dt.date(2026, 4, 9))
    email = Message.objects.get(kind="cancellation_completed", channel="email")
    assert contract.number in email.subject
    assert "2026-04-09" in email.body_text


def test_the_daily_end_processing_completes_due_cancellations(
    contract, portal_user, manager, today
):
    from lifecycle.contract_ends import process_contract_ends

    req = confirmed(contract, portal_user, manager)
    report = process_contract_ends(as_of=req.effective_date)
    assert report.cancellations_completed == 1
    contract.refresh_from_db()
    assert contract.status == ContractStatus.TERMINATED
    again = process_contract_ends(as_of=req.effective_date)
    assert again.cancellations_completed == 0


def test_an_unanswered_offer_does_not_hold_the_cancellation_back(
    contract, portal_user, today, time_machine
):
    from retention.models import RetentionOffer

    RetentionOffer.objects.create(code="F", title="Free month", kind="free_months", months=1)
    req = services.cancellation_submit(
        contract=contract, kind="non_renewal", reason="price", by=portal_user
    )
    assert req.status == Status.SUBMITTED

    services.cancellations_complete_due(as_of=dt.date(2026, 3, 12))
    req.refresh_from_db()
    assert req.status == Status.SUBMITTED  # the customer still has time to answer

    time_machine.move_to(dt.datetime(2026, 3, 13, 3, 0, tzinfo=dt.UTC))
    services.cancellations_complete_due(as_of=dt.date(2026, 3, 13))
    req.refresh_from_db()
    contract.refresh_from_db()
    assert req.status == Status.CONFIRMED
    assert req.offer_response == "declined"
    assert contract.auto_renew is False
