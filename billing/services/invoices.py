"""Invoices and installment plans; settling an invoice starts its contract."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.invoice_states import invoice_mark_paid, invoice_mark_void
from billing.models import (
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    Payment,
)
from contracts.models import Contract, ContractStatus
from contracts.services import contract_record_first_payment, event_record
from core.errors import DomainError
from core.money import money

from .numbers_and_dates import _number, add_months


@dataclass(frozen=True)
class InvoiceLineSpec:
    description: str
    quantity: Decimal
    unit_price: Decimal


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


def invoice_void(*, invoice: Invoice, by: Any, reason: str) -> Invoice:
    """Void an invoice nothing was paid or credited on (e.g. its contract was abandoned)."""
    return invoice_mark_void(invoice, by=by, reason=reason)


def _settle_if_done(invoice: Invoice, *, by: Any, payment: Payment | None) -> None:
    """Mark a fully settled invoice paid and, for a contract's first invoice, start the
    contract (active today, or scheduled for its start date)."""
    if invoice.status != InvoiceStatus.OPEN or invoice.balance > 0:
        return
    invoice_mark_paid(invoice, by=by, payment=payment)
    contract = invoice.contract
    if (
        contract is not None
        and invoice.is_first
        and invoice.kind in (InvoiceKind.TERM, InvoiceKind.INSTALLMENT)
        and Contract.objects.filter(pk=contract.pk, status=ContractStatus.AWAITING_PAYMENT).exists()
    ):
        contract_record_first_payment(contract=contract, by=by)
