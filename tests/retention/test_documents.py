"""The confirmation PDF: Chinese rendered with an embedded CJK font, text extractable."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from retention import services
from retention.documents import confirmation_document_create, confirmation_pdf_render

pytestmark = pytest.mark.django_db

PDFFONTS = shutil.which("pdffonts")
PDFTOTEXT = shutil.which("pdftotext")
needs_poppler = pytest.mark.skipif(not (PDFFONTS and PDFTOTEXT), reason="poppler-utils missing")


@pytest.fixture
def confirmed_request(contract, portal_user, manager, today):
    contract.customer.language = "zh-hans"
    contract.customer.name = "上海示例科技有限公司"
    contract.customer.save()
    req = services.cancellation_submit(
        contract=contract,
        kind="early_termination",
        reason="budget",
        reason_text="预算削减",
        by=portal_user,
    )
    return services.cancellation_confirm(request=req, by=manager)


@needs_poppler
def test_the_confirmation_pdf_embeds_a_cjk_font_and_carries_the_contract_number(
    confirmed_request, tmp_path
):
    data = confirmation_pdf_render(request=confirmed_request)
    path = tmp_path / "c.pdf"
    path.write_bytes(data)

    fonts = subprocess.run(  # noqa: S603 - fixed tool on a file we just wrote
        [PDFFONTS, str(path)], capture_output=True, text=True, check=True
    )
    cjk = [
        line
        for line in fonts.stdout.splitlines()
        if "WenQuanYi" in line or "Noto" in line and "CJK" in line
    ]
    assert cjk, fonts.stdout
    # Embedded ("emb" column is "yes").
    assert any(" yes " in line for line in cjk), fonts.stdout

    text = subprocess.run(  # noqa: S603
        [PDFTOTEXT, "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert confirmed_request.contract.number in text
    assert "上海示例科技有限公司" in text
    assert "解约确认书" in text  # the translated title
    assert "2026-04-09" in text


def test_the_stored_document_keeps_the_sha256_of_its_bytes(confirmed_request):
    import hashlib

    doc = confirmation_document_create(request=confirmed_request)
    with doc.file.open("rb") as fh:
        data = fh.read()
    assert data.startswith(b"%PDF")
    assert doc.sha256 == hashlib.sha256(data).hexdigest()
    assert doc.customer == confirmed_request.customer
    assert doc.contract == confirmed_request.contract
