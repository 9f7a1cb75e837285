"""Renewals react to billing: paying a successor's first invoice moves its case to "paid"."""

from __future__ import annotations

from typing import Any


def on_invoice_paid(sender: Any, invoice: Any, payment: Any = None, by: Any = None, **kwargs: Any):
    # Runs inside the transaction that settled the invoice: the case moves with it or not at all.
    from .services import case_on_successor_paid

    if invoice.contract_id and invoice.is_first:
        case_on_successor_paid(successor=invoice.contract, by=by)
