"""The money side of a completed early termination, handed to billing's services.

After the effective date the customer owes the service used plus the fee, and has paid
what their invoices say. So at completion:

1. open term / installment invoices are reduced to what is still owed for service
   actually used (a future installment for service that will never be given is voided,
   or credited if something was already paid on it);
2. the part of the fee not offset against the unused prepayment gets a final ``fee``
   invoice;
3. a pro-rata refund becomes a credit note, whose ``refund_due`` staff pay out with
   ``billing.services.refund_record``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import Invoice
from billing.services import credit_note_issue, invoice_issue, invoice_void
from contracts.models import Contract

from .models import CancellationRequest

FEE_INVOICE_DUE_DAYS = 14


def fee_invoice_issue(*, contract: Contract, request: CancellationRequest):
    today = timezone.localdate()
    return invoice_issue(
        customer=contract.customer,
        contract=contract,
        kind="fee",
        amount=request.fee_to_invoice,
        description=_("Early-termination fee, contract %(number)s") % {"number": contract.number},
        currency=request.currency,
        issue_date=today,
        due_date=today + dt.timedelta(days=FEE_INVOICE_DUE_DAYS),
    )


def refund_credit_note_issue(*, contract: Contract, request: CancellationRequest):
    return credit_note_issue(
        customer=contract.customer,
        contract=contract,
        amount=request.refund_amount,
        reason=_("Refund of prepaid unused service, contract %(number)s, from %(date)s")
        % {"number": contract.number, "date": request.effective_date},
    )


def open_invoices_reduce(
    *,
    contract: Contract,
    owed_for_used_service: Decimal,
    request: CancellationRequest | None = None,
) -> list[str]:
    """Cancel what is still billed for service after the effective date.

    Keeps open balances up to ``owed_for_used_service`` (earliest invoices first) and
    voids or credits the rest (latest first). Returns the numbers touched.
    """
    open_invoices = list(
        Invoice.objects.filter(
            contract=contract, kind__in=["term", "installment"], status="open"
        ).order_by("due_date", "installment_no", "id")
    )
    keep = max(owed_for_used_service, Decimal("0"))
    touched: list[str] = []
    for inv in open_invoices:
        balance = inv.balance
        kept_here = min(balance, keep)
        keep -= kept_here
        excess = balance - kept_here
        if excess <= 0:
            continue
        reason = _("Service after the early termination of contract %(number)s") % {
            "number": contract.number
        }
        if kept_here == 0 and inv.amount_paid == 0 and inv.amount_credited == 0:
            invoice_void(invoice=inv, by=None, reason=reason)
        else:
            credit_note_issue(
                customer=contract.customer,
                invoice=inv,
                contract=contract,
                amount=excess,
                reason=reason,
            )
        touched.append(inv.number)
    return touched
