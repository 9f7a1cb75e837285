"""Every write to billing goes through here: invoices, installment plans, payments,
credit notes, refunds, dunning.

Money rules: amounts are ``Decimal`` rounded to cents; an invoice's balance is
``amount - amount_paid - amount_credited`` and is only changed under the invoice's row
lock, so two clerks (or a clerk and the payment provider) never double-count a payment.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts.models import Contract, ContractStatus
from contracts.services import contract_record_first_payment, event_record
from core.errors import DomainError
from core.models import TaskKind
from core.money import money
from core.sequences import sequence_next
from core.services import task_create

from .models import (
    CreditNote,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentKind,
    PaymentMethod,
    PaymentSource,
)

log = logging.getLogger(__name__)

# Sent inside the transaction that settled an invoice (receivers share its fate):
# invoice, payment (or None when a credit note settled it), by.
invoice_paid = Signal()

DUNNING_INTERVAL_DAYS = 7
DUNNING_MAX_LEVEL = 3
BATCH_SIZE = 500


@dataclass(frozen=True)
class InvoiceLineSpec:
    description: str
    quantity: Decimal
    unit_price: Decimal


def _number(prefix: str, day: dt.date) -> str:
    n = sequence_next(name=f"{prefix.lower()}-{day.year}")
    return f"{prefix}-{day.year}-{n:06d}"


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole months, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=d)
        except ValueError:
            continue
    raise ValueError(day)


# --- invoices -------------------------------------------------------------------------


@transaction.atomic
def invoice_issue(
    *,
    customer: Any,
    due_date: dt.date,
    lines: Sequence[InvoiceLineSpec] | None = None,
    amount: Decimal | None = None,
    kind: str = InvoiceKind.OTHER,
    contract: Contract | None = None,
    description: str = "",
    currency: str | None = None,
    issue_date: dt.date | None = None,
    installment_no: int = 1,
    installment_count: int = 1,
    by: Any = None,
) -> Invoice:
    """Issue one invoice with a readable number (``INV-2026-000001``).

    Give either ``lines`` (description, quantity, unit price) or a plain ``amount``
    (one line named after ``description``). ``kind`` is one of ``InvoiceKind``: "term"
    and "installment" invoices are unique per (contract, installment_no), so issuing the
    same term invoice twice raises ``DomainError``. The cancellation flow uses
    ``kind="fee"`` for a final early-termination fee. The PDF is rendered on first
    download (``invoice_document``), not here, so sweeps stay fast.
    """
    if kind not in InvoiceKind.values:
        raise ValueError(f"unknown invoice kind {kind}")
    issue_date = issue_date or timezone.localdate()
    if due_date < issue_date:
        raise DomainError(_("The due date must not be before the issue date."))
    if lines is None:
        if amount is None:
            raise ValueError("give lines or an amount")
        lines = [
            InvoiceLineSpec(
                description=description or _("Services"),
                quantity=Decimal(1),
                unit_price=money(amount),
            )
        ]
    lines = list(lines)
    if not lines:
        raise DomainError(_("An invoice needs at least one line."))
    rows = [
        InvoiceLine(
            description=spec.description[:300],
            quantity=spec.quantity,
            unit_price=money(spec.unit_price),
            amount=money(spec.quantity * spec.unit_price),
            position=i,
        )
        for i, spec in enumerate(lines)
    ]
    total = money(sum((r.amount for r in rows), Decimal("0")))
    if total < 0:
        raise DomainError(_("An invoice cannot be negative; issue a credit note instead."))
    invoice = Invoice(
        number=_number("INV", issue_date),
        customer=customer,
        contract=contract,
        kind=kind,
        description=(description or lines[0].description)[:300],
        currency=currency
        or (contract.currency if contract else settings.RENEWDESK["DEFAULT_CURRENCY"]),
        amount=total,
        issue_date=issue_date,
        due_date=due_date,
        installment_no=installment_no,
        installment_count=installment_count,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    try:
        with transaction.atomic():
            invoice.save()
    except IntegrityError as exc:
        raise DomainError(
            _("This installment of the contract has already been invoiced."), code="duplicate"
        ) from exc
    for row in rows:
        row.invoice = invoice
    InvoiceLine.objects.bulk_create(rows)
    if contract is not None:
        event_record(
            contract=contract,
            kind="invoice_issued",
            by=by,
            payload={
                "invoice": invoice.number,
                "amount": str(invoice.amount),
                "due_date": invoice.due_date.isoformat(),
                "installment": f"{installment_no}/{installment_count}",
            },
        )
    return invoice


def _split(total: Decimal, parts: int) -> list[Decimal]:
    """Equal shares in cents; the rounding remainder goes on the last share."""
    share = money(total / parts)
    shares = [share] * (parts - 1)
    shares.append(money(total - share * (parts - 1)))
    return shares


def invoice_plan_issue(
    *,
    contract: Contract,
    installments: int,
    first_due_date: dt.date,
    by: Any = None,
    issue_date: dt.date | None = None,
) -> list[Invoice]:
    """Invoice a contract's term: one invoice, or N installments spread over the term.

    Installment k (1-based) is due ``(k - 1) * term_months / N`` months after the first
    due date. Amounts are equal shares; the last one takes the rounding remainder.
    Idempotent per installment: a second call returns the invoices already issued.
    """
    if installments < 1 or installments > 12:
        raise DomainError(_("Choose between 1 and 12 installments."))
    existing = list(
        Invoice.objects.filter(
            contract=contract, kind__in=[InvoiceKind.TERM, InvoiceKind.INSTALLMENT]
        )
        .exclude(status=InvoiceStatus.VOID)
        .order_by("installment_no")
    )
    if existing:
        return existing
    term_months = max(
        1,
        (contract.end_date.year - contract.start_date.year) * 12
        + contract.end_date.month
        - contract.start_date.month
        + (1 if contract.end_date.day >= contract.start_date.day else 0),
    )
    step = max(1, term_months // installments)
    kind = InvoiceKind.TERM if installments == 1 else InvoiceKind.INSTALLMENT
    lines = list(contract.lines.all())
    invoices = []
    with transaction.atomic():
        for k, share in enumerate(_split(contract.total_amount, installments), start=1):
            if installments == 1:
                specs = [
                    InvoiceLineSpec(
                        description=line.description,
                        quantity=line.quantity,
                        unit_price=line.unit_price,
                    )
                    for line in lines
                ]
                desc = _("Contract %(number)s, %(start)s – %(end)s") % {
                    "number": contract.number,
                    "start": contract.start_date.isoformat(),
                    "end": contract.end_date.isoformat(),
                }
            else:
                desc = _("Contract %(number)s, installment %(k)s of %(n)s") % {
                    "number": contract.number,
                    "k": k,
                    "n": installments,
                }
                specs = [InvoiceLineSpec(description=desc, quantity=Decimal(1), unit_price=share)]
            due = add_months(first_due_date, (k - 1) * step)
            invoices.append(
                invoice_issue(
                    customer=contract.customer,
                    contract=contract,
                    kind=kind,
                    lines=specs,
                    description=desc,
                    due_date=due,
                    issue_date=min(issue_date or timezone.localdate(), first_due_date),
                    installment_no=k,
                    installment_count=installments,
                    by=by,
                )
            )
    return invoices


@transaction.atomic
def invoice_void(*, invoice: Invoice, by: Any, reason: str) -> Invoice:
    """Void an invoice nothing was paid or credited on (e.g. its contract was abandoned)."""
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if locked.status == InvoiceStatus.VOID:
        return locked
    if locked.amount_paid or locked.amount_credited:
        raise DomainError(
            _("An invoice with payments or credits cannot be voided; issue a credit note.")
        )
    locked.status = InvoiceStatus.VOID
    locked.save(update_fields=["status", "updated_at"])
    if locked.contract_id:
        event_record(
            contract=locked.contract,
            kind="invoice_voided",
            by=by,
            reason=reason,
            payload={"invoice": locked.number},
        )
    return locked


def _settle_if_done(invoice: Invoice, *, by: Any, payment: Payment | None) -> None:
    """Mark a fully settled invoice paid and, for a contract's first invoice, start the
    contract (active today, or scheduled for its start date)."""
    if invoice.status != InvoiceStatus.OPEN or invoice.balance > 0:
        return
    invoice.status = InvoiceStatus.PAID
    invoice.paid_at = timezone.now()
    invoice.save(update_fields=["status", "paid_at", "updated_at"])
    contract = invoice.contract
    if (
        contract is not None
        and invoice.is_first
        and invoice.kind in (InvoiceKind.TERM, InvoiceKind.INSTALLMENT)
        and Contract.objects.filter(pk=contract.pk, status=ContractStatus.AWAITING_PAYMENT).exists()
    ):
        contract_record_first_payment(contract=contract, by=by)
    invoice_paid.send(sender=Invoice, invoice=invoice, payment=payment, by=by)


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
            locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
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
            if locked.contract_id:
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
    task_create(
        assignee=manager,
        kind=TaskKind.OTHER,
        title=_("Over-payment of %(amount)s %(currency)s on %(invoice)s: refund or apply it")
        % {"amount": excess, "currency": invoice.currency, "invoice": invoice.number},
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
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
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
                    % {"due": note.refund_due, "currency": note.currency}
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
            if note.contract_id:
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


# --- dunning ----------------------------------------------------------------------------


def dunning_due_ids(*, as_of: dt.date) -> Iterable[list[int]]:
    """Ids of open invoices due for a dunning reminder, in batches (uses invoice_open_due)."""
    grace = settings.RENEWDESK.get("DUNNING_GRACE_DAYS", 7)
    qs = (
        Invoice.objects.filter(
            status=InvoiceStatus.OPEN,
            due_date__lt=as_of - dt.timedelta(days=grace),
            dunning_level__lt=DUNNING_MAX_LEVEL,
        )
        .exclude(last_dunning_on__gt=as_of - dt.timedelta(days=DUNNING_INTERVAL_DAYS))
        .order_by("id")
        .values_list("id", flat=True)
    )
    last = 0
    while True:
        batch = list(qs.filter(id__gt=last)[:BATCH_SIZE])
        if not batch:
            return
        yield batch
        last = batch[-1]


def invoice_dunning_send(*, invoice_id: int, as_of: dt.date) -> bool:
    """Send the next dunning reminder for one overdue invoice. Returns False if another
    worker already did (claimed by a compare-and-swap on the dunning level)."""
    from renewals.messaging import message_to_customer

    invoice = Invoice.objects.select_related("customer", "contract").get(pk=invoice_id)
    if invoice.status != InvoiceStatus.OPEN:
        return False
    with transaction.atomic():
        level = invoice.dunning_level + 1
        claimed = Invoice.objects.filter(
            pk=invoice.pk, status=InvoiceStatus.OPEN, dunning_level=invoice.dunning_level
        ).update(dunning_level=level, last_dunning_on=as_of)
        if not claimed:
            return False
        if invoice.contract_id:
            event_record(
                contract=invoice.contract,
                kind="dunning_sent",
                payload={"invoice": invoice.number, "level": level},
            )
        message_to_customer(
            kind="dunning",
            customer=invoice.customer,
            contract=invoice.contract,
            context={
                "invoice_number": invoice.number,
                "amount": str(invoice.balance),
                "currency": invoice.currency,
                "due_date": invoice.due_date.isoformat(),
                "level": level,
            },
            dedupe_key=f"dunning:{invoice.pk}:{level}",
        )
        if level >= 2 and invoice.customer.account_manager_id:
            task_create(
                assignee=invoice.customer.account_manager,
                kind=TaskKind.FOLLOW_UP,
                title=_("Invoice %(number)s is overdue (reminder %(level)s): call the customer")
                % {"number": invoice.number, "level": level},
                due_date=as_of,
                customer=invoice.customer,
                contract=invoice.contract,
                dedupe_key=f"dunning-call:{invoice.pk}:{level}",
            )
    return True


def dunning_sweep(*, as_of: dt.date) -> int:
    """Send every dunning reminder due on ``as_of``. Safe to run twice or concurrently."""
    sent = 0
    for batch in dunning_due_ids(as_of=as_of):
        for invoice_id in batch:
            sent += int(invoice_dunning_send(invoice_id=invoice_id, as_of=as_of))
    return sent
