"""PDFs: the CJK font is embedded, and the numbers, amounts and dates match the data."""

from __future__ import annotations

import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from billing.documents import invoice_document, receipt_document
from billing.models import Invoice
from billing.services import payment_record
from contracts.models import PlanPrice
from renewals import services

PDFFONTS = shutil.which("pdffonts") or "pdffonts"
PDFTOTEXT = shutil.which("pdftotext") or "pdftotext"
pytestmark = pytest.mark.skipif(
    not (shutil.which("pdffonts") and shutil.which("pdftotext")), reason="poppler-utils missing"
)


def _fonts(path: Path) -> str:
    # Fixed tool, our own file path: no untrusted input.
    return subprocess.run(  # noqa: S603
        [PDFFONTS, str(path)], capture_output=True, text=True, check=True
    ).stdout


def _text(path: Path) -> str:
    return subprocess.run(  # noqa: S603
        [PDFTOTEXT, "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def _assert_cjk_embedded(path: Path) -> None:
    fonts = _fonts(path)
    cjk = [line for line in fonts.splitlines() if "WenQuanYi" in line or "CJK" in line]
    assert cjk, fonts
    # pdffonts columns: ... emb sub uni ...; "yes" in the emb column for the CJK font
    assert any(" yes " in line for line in cjk), fonts


@pytest.fixture
def signed(today, renewing_contract, manager, terms_v2):
    PlanPrice.objects.create(
        plan=renewing_contract.plan, price=Decimal("1100.00"), effective_from=today
    )
    case, _ = services.case_open(contract=renewing_contract)
    quote = services.quote_create(case=case, by=manager)
    services.quote_send(quote=quote, by=manager)
    quote.refresh_from_db()
    services.quote_sign_online(
        quote=quote,
        full_name="王小明",
        accepted=True,
        document_sha256=quote.contract_document.sha256,
    )
    quote.refresh_from_db()
    case.refresh_from_db()
    return case, quote


def test_the_quote_pdf_embeds_a_cjk_font_and_shows_the_price_change(signed):
    case, quote = signed
    path = Path(quote.document.file.path)
    _assert_cjk_embedded(path)
    text = _text(path)
    assert quote.number in text and case.contract.number in text
    assert "12,000.00" in text and "13,200.00" in text and "+10.0%" in text
    assert "2027-01-01" in text and "2027-12-31" in text
    assert "数据保护" in text  # the added clause of the new terms version
    assert "上海示例科技有限公司" in text


def test_the_contract_pdf_shows_the_successor_its_term_and_total(signed):
    case, quote = signed
    path = Path(quote.contract_document.file.path)
    _assert_cjk_embedded(path)
    text = _text(path)
    successor = case.successor
    assert successor.number in text and "CNY 13,200.00" in text
    assert "2027-01-01" in text and "2027-12-31" in text
    assert case.contract.number in text  # "renews contract ..."


def test_the_invoice_and_receipt_pdfs_carry_their_numbers_and_amounts(signed, manager):
    case, _quote = signed
    invoice = Invoice.objects.get(contract=case.successor)
    doc = invoice_document(invoice=invoice)
    assert doc.sha256 and invoice_document(invoice=invoice).pk == doc.pk  # stored once
    path = Path(doc.file.path)
    _assert_cjk_embedded(path)
    text = _text(path)
    assert invoice.number in text and "CNY 13,200.00" in text
    assert invoice.due_date.isoformat() in text
    payment = payment_record(
        invoice=invoice,
        amount=Decimal("13200.00"),
        method="alipay",
        reference="ALI-PDF-1",
        by=manager,
    )
    receipt = receipt_document(payment=payment)
    rtext = _text(Path(receipt.file.path))
    assert payment.number in rtext and invoice.number in rtext and "CNY 13,200.00" in rtext
    _assert_cjk_embedded(Path(receipt.file.path))
