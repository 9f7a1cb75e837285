"""Payments received, credit notes and refunds."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.invoice_states import invoice_lock
from billing.models import (
    CreditNote,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentKind,
    PaymentMethod,
    PaymentSource,
)
from contracts.models import Contract
from contracts.services import event_record
from core.errors import DomainError
from core.models import TaskKind
from core.money import money, money_text
from core.services import in_language_of, task_create

from .invoices import _settle_if_done
from .numbers_and_dates import _number

# --- payments ---------------------------------------------------------------------------


def payment_record(
    *,
    invoice: Invoice,
    amount: Decimal,
    method: str,
    reference: str,
    by: Any = None,
    received_at: dt.datetime | None = None,
    source: str = PaymentSource.STAFF,
    provider_event_id: str = "",
    note: str = "",
) -> Payment:
    """Record money received against ``invoice`` and return the ``Payment``.

    ``method`` is a ``PaymentMethod`` value (bank_transfer, card, wechat_pay, alipay,
    cash, other); ``reference`` (bank or provider transaction id, receipt slip number)
    is required and unique per method: recording it twice raises ``DomainError`` with
    code "duplicate_payment", whether the two attempts are sequential or concurrent.

    A partial payment leaves the invoice open with its balance; an over-payment settles
    the invoice, keeps the excess as unapplied credit on the payment and creates a task
    for the account manager to refund or apply it. Settling a contract's first invoice
    (or first installment) starts the contract via ``contract_record_first_payment``.
    """
    amount = money(amount)
    reference = (reference or "").strip()
    if amount <= 0:
        raise DomainError(_("The amount must be greater than zero."))
    if method not in PaymentMethod.values:
        raise DomainError(_("Choose a payment method."))
    if not reference:
        raise DomainError(_("Enter the payment reference (transaction or slip number)."))
    received_at = received_at or timezone.now()
    try:
        with transaction.atomic():
            locked = invoice_lock(invoice)
            if locked.status == InvoiceStatus.VOID:
                raise DomainError(_("This invoice is void and cannot be paid."))
            if Payment.objects.filter(
                kind=PaymentKind.PAYMENT, method=method, reference=reference
            ).exists():
                raise DomainError(
                    _("A payment with this reference was already recorded."),
                    code="duplicate_payment",
                )
            applied = max(Decimal("0"), min(amount, locked.balance))
            payment = Payment.objects.create(
                number=_number("RC", timezone.localdate()),
                kind=PaymentKind.PAYMENT,
                customer_id=locked.customer_id,
                invoice=locked,
                amount=amount,
                applied_amount=applied,
                currency=locked.currency,
                method=method,
                reference=reference[:100],
                received_at=received_at,
                source=source,
                provider_event_id=provider_event_id[:100],
                note=note[:300],
                recorded_by=by if getattr(by, "is_authenticated", False) else None,
            )
            locked.amount_paid = locked.amount_paid + applied
            locked.save(update_fields=["amount_paid", "updated_at"])
            if locked.contract is not None:
                event_record(
                    contract=locked.contract,
                    kind="payment_recorded",
                    by=by,
                    payload={
                        "invoice": locked.number,
                        "payment": payment.number,
                        "amount": str(amount),
                        "method": method,
                        "source": source,
                        "balance": str(locked.balance),
                    },
                )
            excess = amount - applied
            if excess > 0:
                _overpayment_task(locked, payment, excess)
            _settle_if_done(locked, by=by, payment=payment)
    except IntegrityError as exc:
        # Two submissions with the same reference on different invoices raced past the
        # check above; the unique constraint decided. Nothing was recorded for this one.
        raise DomainError(
            _("A payment with this reference was already recorded."), code="duplicate_payment"
        ) from exc
    invoice.refresh_from_db()
    return payment


def _overpayment_task(invoice: Invoice, payment: Payment, excess: Decimal) -> None:
    manager = invoice.customer.account_manager
    if manager is None:
        return
    with in_language_of(manager):
        task_create(
            assignee=manager,
            kind=TaskKind.OTHER,
            title=_("Over-payment of %(amount)s %(currency)s on %(invoice)s: refund or apply it")
            % {
                "amount": money_text(excess),
                "currency": invoice.currency,
                "invoice": invoice.number,
            },
            due_date=timezone.localdate() + dt.timedelta(days=3),
            customer=invoice.customer,
            contract=invoice.contract,
            dedupe_key=f"overpayment:{payment.pk}",
        )


# --- credit notes and refunds -------------------------------------------------------------


@transaction.atomic
def credit_note_issue(
    *,
    customer: Any,
    amount: Decimal,
    reason: str,
    by: Any = None,
    invoice: Invoice | None = None,
    contract: Contract | None = None,
    issue_date: dt.date | None = None,
) -> CreditNote:
    """Issue a credit note (``CN-2026-000001``) for ``amount`` to ``customer``.

    With an open ``invoice``, the credit first reduces that invoice's balance (possibly
    settling it); whatever is left over (or all of it, without an open invoice) is owed
    back to the customer: ``credit_note.refund_due``. Pay it out with ``refund_record``.
    """
    amount = money(amount)
    if amount <= 0:
        raise DomainError(_("The amount must be greater than zero."))
    if not reason.strip():
        raise DomainError(_("Give a reason for the credit note."))
    applied = Decimal("0")
    locked = None
    if invoice is not None:
        locked = invoice_lock(invoice)
        if locked.customer_id != customer.pk:
            raise DomainError(_("The invoice belongs to another customer."))
        if locked.status == InvoiceStatus.OPEN:
            applied = min(amount, locked.balance)
        contract = contract or locked.contract
    note = CreditNote.objects.create(
        number=_number("CN", issue_date or timezone.localdate()),
        customer=customer,
        invoice=locked,
        contract=contract,
        amount=amount,
        applied_amount=applied,
        currency=(locked.currency if locked else (contract.currency if contract else "CNY")),
        reason=reason.strip()[:300],
        issue_date=issue_date or timezone.localdate(),
        issued_by=by if getattr(by, "is_authenticated", False) else None,
    )
    if locked is not None and applied:
        locked.amount_credited = locked.amount_credited + applied
        locked.save(update_fields=["amount_credited", "updated_at"])
        _settle_if_done(locked, by=by, payment=None)
    if contract is not None:
        event_record(
            contract=contract,
            kind="credit_note_issued",
            by=by,
            reason=note.reason,
            payload={"credit_note": note.number, "amount": str(amount), "applied": str(applied)},
        )
    return note


def refund_record(
    *,
    credit_note: CreditNote,
    amount: Decimal,
    method: str,
    reference: str,
    by: Any = None,
    paid_at: dt.datetime | None = None,
) -> Payment:
    """Record money paid back to the customer against a credit note's refund due.

    Refuses more than is due; the reference is unique per method among refunds.
    """
    amount = money(amount)
    reference = (reference or "").strip()
    if amount <= 0:
        raise DomainError(_("The amount must be greater than zero."))
    if method not in PaymentMethod.values:
        raise DomainError(_("Choose a payment method."))
    if not reference:
        raise DomainError(_("Enter the payment reference (transaction or slip number)."))
    try:
        with transaction.atomic():
            note = CreditNote.objects.select_for_update().get(pk=credit_note.pk)
            if amount > note.refund_due:
                raise DomainError(
                    _("Only %(due)s %(currency)s is due for refund on this credit note.")
                    % {"due": money_text(note.refund_due), "currency": note.currency}
                )
            refund = Payment.objects.create(
                number=_number("RF", timezone.localdate()),
                kind=PaymentKind.REFUND,
                customer_id=note.customer_id,
                credit_note=note,
                amount=amount,
                applied_amount=amount,
                currency=note.currency,
                method=method,
                reference=reference[:100],
                received_at=paid_at or timezone.now(),
                recorded_by=by if getattr(by, "is_authenticated", False) else None,
            )
            if note.contract is not None:
                event_record(
                    contract=note.contract,
                    kind="refund_recorded",
                    by=by,
                    payload={"credit_note": note.number, "amount": str(amount), "method": method},
                )
            return refund
    except IntegrityError as exc:
        raise DomainError(
            _("A refund with this reference was already recorded."), code="duplicate_payment"
        ) from exc
