"""An invoice's workflow: open → paid when settled, or open → void before any money.

Nothing else assigns ``Invoice.status``. An invoice is issued open (``invoice_issue``);
the functions below are the only ways it changes. Each works on the invoice row locked
with :func:`invoice_lock`, checks the table, writes the status and, for an invoice of a
contract, one ``ContractEvent`` on that contract's timeline in the same transaction,
published after the commit:

- ``invoice_paid``   open → paid (payments and credits cover the amount);
- ``invoice_voided`` open → void (nothing paid or credited on it).

Partial payments, credits and dunning reminders change amounts and levels, not the status.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import Invoice, InvoiceStatus
from contracts.models import ContractEvent
from core.errors import DomainError
from core.events import actor_or_none
from core.state_machine import StateMachine

INVOICE_TRANSITIONS: dict[str, frozenset[str]] = {
    InvoiceStatus.OPEN: frozenset({InvoiceStatus.PAID, InvoiceStatus.VOID}),
    InvoiceStatus.PAID: frozenset(),
    InvoiceStatus.VOID: frozenset(),
}

INVOICES: StateMachine[Invoice] = StateMachine(
    Invoice,
    INVOICE_TRANSITIONS,
    # Paid: the past invoices seed_demo writes as history, with their payments.
    initial=frozenset({InvoiceStatus.OPEN, InvoiceStatus.PAID}),
)


def _event_factory(
    *, by: Any, kind: str, reason: str = "", payload: Mapping[str, Any] | None = None
) -> Callable[[Invoice, str, str], ContractEvent | None]:
    def build(invoice: Invoice, current: str, to: str) -> ContractEvent | None:
        if not invoice.contract_id:
            return None  # a customer's invoice outside any contract has no timeline
        return ContractEvent(
            contract_id=invoice.contract_id,
            kind=kind,
            actor=actor_or_none(by),
            reason=reason[:500],
            payload={"invoice": invoice.number, **(payload or {})},
        )

    return build


def invoice_lock(invoice: Invoice) -> Invoice:
    """Lock the invoice row (inside the caller's transaction) and return it fresh. Every
    change of its balance or status happens under this lock."""
    return Invoice.objects.select_for_update().get(pk=invoice.pk)


def invoice_mark_paid(locked: Invoice, *, by: Any = None, payment: Any = None) -> Invoice:
    """Open → paid, stamping ``paid_at``. ``locked`` is the invoice as :func:`invoice_lock`
    returned it: the caller settled the balance under that lock in the same transaction
    (``payment_record``, ``credit_note_issue``)."""
    payload: dict[str, Any] = {"amount": str(locked.amount)}
    if payment is not None:
        payload["payment"] = payment.number
    return INVOICES.change_locked(
        locked,
        InvoiceStatus.PAID,
        event=_event_factory(by=by, kind="invoice_paid", payload=payload),
        updates={"paid_at": timezone.now()},
    )


def invoice_mark_void(invoice: Invoice, *, by: Any, reason: str) -> Invoice:
    """Open → void, for an invoice nothing was paid or credited on (e.g. its contract was
    abandoned). Voiding a void invoice again changes nothing. Locks the invoice itself."""
    with transaction.atomic():
        locked = invoice_lock(invoice)
        if locked.status == InvoiceStatus.VOID:
            return locked
        if locked.amount_paid or locked.amount_credited:
            raise DomainError(
                _("An invoice with payments or credits cannot be voided; issue a credit note.")
            )
        if locked.status != InvoiceStatus.OPEN:
            raise DomainError(_("A paid invoice cannot be voided; issue a credit note."))
        return INVOICES.change_locked(
            locked,
            InvoiceStatus.VOID,
            event=_event_factory(by=by, kind="invoice_voided", reason=reason),
        )
