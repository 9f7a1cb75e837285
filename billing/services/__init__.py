"""Every write to billing goes through here: invoices, installment plans, payments,
credit notes, refunds, dunning.

Money rules: amounts are ``Decimal`` rounded to cents; an invoice's balance is
``amount - amount_paid - amount_credited`` and is only changed under the invoice's row
lock, so two clerks (or a clerk and the payment provider) never double-count a payment.
"""

from __future__ import annotations

from .dunning import dunning_due_ids, dunning_sweep, invoice_dunning_send
from .invoices import InvoiceLineSpec, invoice_issue, invoice_plan_issue, invoice_void
from .numbers_and_dates import add_months, term_end
from .payments import credit_note_issue, payment_record, refund_record

__all__ = [
    "InvoiceLineSpec",
    "add_months",
    "term_end",
    "credit_note_issue",
    "dunning_due_ids",
    "dunning_sweep",
    "invoice_dunning_send",
    "invoice_issue",
    "invoice_plan_issue",
    "invoice_void",
    "payment_record",
    "refund_record",
]
