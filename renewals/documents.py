"""PDFs of the renewal: the quote (with its differences) and the contract to sign."""

from __future__ import annotations

from typing import Any

from core.pdf import pdf_render

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
