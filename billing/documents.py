"""Invoice and receipt PDFs: rendered once, on first need, and stored with their SHA-256."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import Document, DocumentKind
from core.pdf import document_store, pdf_render

from .models import Invoice, Payment


def bank_details() -> dict[str, str]:
    """The account customers pay transfers to, from the settings (``BANK_*`` environment
    variables, docs/configuration.md); empty when no account name and number are set:
    then no bank details are shown anywhere (never a placeholder account), and
    ``check --deploy`` warns."""
    given = {
        key: str(value)
        for key, value in (settings.RENEWDESK.get("BANK_DETAILS") or {}).items()
        if value
    }
    if not (given.get("account_name") and given.get("account_number")):
        return {}
    return given


def invoice_pdf_bytes(*, invoice: Invoice, language: str | None = None) -> bytes:
    return pdf_render(
        template_name="pdf/invoice.html",
        context={"invoice": invoice, "lines": list(invoice.lines.all()), "bank": bank_details()},
        language=language or invoice.customer.language,
    )


def invoice_document(*, invoice: Invoice, by: Any = None) -> Document:
    """The invoice's stored PDF, rendered and stored the first time it is needed."""
    if invoice.document is not None:  # no query when document_id is None
        return invoice.document
    data = invoice_pdf_bytes(invoice=invoice)
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if locked.document is not None:  # rendered concurrently; keep the first
            return locked.document
        doc = document_store(
            data=data,
            kind=DocumentKind.INVOICE,
            title=_("Invoice %(number)s") % {"number": invoice.number},
            customer=invoice.customer,
            contract=invoice.contract,
            filename=f"{invoice.number}.pdf",
            by=by,
        )
        Invoice.objects.filter(pk=invoice.pk).update(document=doc)
    invoice.document = doc
    return doc


def receipt_pdf_bytes(*, payment: Payment, language: str | None = None) -> bytes:
    return pdf_render(
        template_name="pdf/receipt.html",
        context={
            "payment": payment,
            "received_on": timezone.localtime(payment.received_at).date(),
        },
        language=language or payment.customer.language,
    )


def receipt_document(*, payment: Payment, by: Any = None) -> Document:
    if payment.receipt is not None:
        return payment.receipt
    data = receipt_pdf_bytes(payment=payment)
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.receipt is not None:
            return locked.receipt
        doc = document_store(
            data=data,
            kind=DocumentKind.RECEIPT,
            title=_("Receipt %(number)s") % {"number": payment.number},
            customer=payment.customer,
            contract=payment.invoice.contract if payment.invoice is not None else None,
            filename=f"{payment.number}.pdf",
            by=by,
        )
        Payment.objects.filter(pk=payment.pk).update(receipt=doc)
    payment.receipt = doc
    return doc
