"""PDFs of the renewal: the quote (with its differences) and the contract to sign; and how
to make any stored renewal or billing PDF again from the records (``document_rerender``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from billing.documents import invoice_pdf_bytes, receipt_pdf_bytes
from billing.models import Invoice, Payment
from core.models import Document, DocumentKind
from core.pdf import pdf_render

from .models import Quote, SignatureMethod
from .selectors import quote_diff


def contract_pdf_bytes(
    *, contract: Any, quote: Any = None, signature: Any = None, language: str | None = None
) -> bytes:
    return pdf_render(
        template_name="pdf/contract.html",
        context={
            "contract": contract,
            "lines": list(contract.lines.all()),
            "quote": quote,
            "signature": signature,
        },
        language=language or contract.customer.language,
    )


def quote_pdf_bytes(*, quote: Any, language: str | None = None) -> bytes:
    contract = quote.case.contract
    return pdf_render(
        template_name="pdf/quote.html",
        context={"quote": quote, "contract": contract, "diff": quote_diff(quote=quote)},
        language=language or contract.customer.language,
    )


def _quote_contract_rerender(quote: Quote | None) -> Callable[[], bytes] | None:
    # The contract sent for signing, as quote_send made it: the successor with the quote,
    # in the renewing customer's language.
    if quote is None or quote.case.successor is None:
        return None
    successor = quote.case.successor
    language = quote.case.contract.customer.language
    return lambda: contract_pdf_bytes(contract=successor, quote=quote, language=language)


def document_rerender(document: Document) -> Callable[[], bytes] | None:
    """How to make a stored document again from the records, for when its file is lost;
    None for the kinds that cannot be made again.

    The caller serves the result only if its SHA-256 equals the stored one
    (core.document_files): WeasyPrint gives the same bytes for the same records, so an
    unchanged invoice, receipt, quote or contract comes out identical, and a changed one
    (an invoice since paid, a quote since revised) is refused rather than passed off as the
    issued document. A contract signed online is a byte copy of the contract sent, so it
    is made like that one. Never made again: scans signed on paper and other uploads (no
    source), and cancellation confirmations (they print the time they were generated).
    """
    kind = document.kind
    if kind == DocumentKind.INVOICE:
        invoice = Invoice.objects.select_related("customer").filter(document=document).first()
        if invoice is None:
            return None
        return lambda: invoice_pdf_bytes(invoice=invoice)
    if kind == DocumentKind.RECEIPT:
        payment = (
            Payment.objects.select_related("customer", "invoice").filter(receipt=document).first()
        )
        if payment is None:
            return None
        return lambda: receipt_pdf_bytes(payment=payment)
    quotes = Quote.objects.select_related("case__contract__customer", "case__successor")
    if kind == DocumentKind.QUOTE:
        quote = quotes.filter(document=document).first()
        if quote is None:
            return None
        language = quote.case.contract.customer.language
        return lambda: quote_pdf_bytes(quote=quote, language=language)
    if kind == DocumentKind.CONTRACT:
        return _quote_contract_rerender(quotes.filter(contract_document=document).first())
    if kind == DocumentKind.SIGNED:
        return _quote_contract_rerender(
            quotes.filter(
                signature__document=document, signature__method=SignatureMethod.ONLINE
            ).first()
        )
    return None
