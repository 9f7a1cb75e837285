"""A stored PDF whose file is gone from media storage (wiped, host moved without media/):
never a 500. An exact copy (same SHA-256) is served again; when none can be made, a page
in the user's language says the file is unavailable; its button (a POST: a GET writes
nothing) gives the account manager a task."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from django.urls import reverse

from billing.documents import invoice_document, receipt_document
from billing.models import Invoice
from billing.services import payment_record
from core.models import DocumentKind, Task
from core.pdf import document_store, sha256_hex
from renewals import services
from tests.factories import PortalAccountFactory

UNAVAILABLE = 503


def _lose_file(document) -> None:
    Path(document.file.path).unlink()


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def _missing_tasks(document) -> list[Task]:
    return list(Task.objects.filter(dedupe_key=f"document-file-missing:{document.pk}"))


@pytest.fixture
def customer_client(client, renewing_contract):
    account = PortalAccountFactory(customer=renewing_contract.customer)
    client.force_login(account.user)
    return client


@pytest.fixture
def staff_client(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def sent_quote(today, renewing_contract, manager):
    case, _ = services.case_open(contract=renewing_contract)
    quote = services.quote_create(case=case, by=manager)
    services.quote_send(quote=quote, by=manager)
    quote.refresh_from_db()
    return quote


@pytest.fixture
def signed_online(sent_quote):
    services.quote_sign_online(
        quote=sent_quote,
        full_name="王小明",
        accepted=True,
        document_sha256=sent_quote.contract_document.sha256,
    )
    sent_quote.refresh_from_db()
    return sent_quote


@pytest.fixture
def invoice(signed_online):
    return Invoice.objects.get(contract=signed_online.case.successor)


def test_it_serves_an_identical_re_rendered_invoice_when_the_file_is_gone(customer_client, invoice):
    # given an issued invoice whose stored PDF was lost
    doc = invoice_document(invoice=invoice)
    _lose_file(doc)

    # when the customer downloads it
    response = customer_client.get(reverse("portal:invoice-pdf", args=[invoice.pk]))

    # then they get the very same bytes, and nobody is bothered
    assert response.status_code == 200
    assert sha256_hex(_body(response)) == doc.sha256
    assert response["Content-Disposition"].startswith("attachment")
    assert not _missing_tasks(doc)


def test_a_changed_invoice_is_not_re_rendered_under_its_old_hash_the_customer_is_told(
    customer_client, invoice, manager, caplog
):
    # given the invoice PDF was stored, then the invoice was paid (a re-render says "paid")
    doc = invoice_document(invoice=invoice)
    payment_record(
        invoice=invoice, amount=invoice.amount, method="alipay", reference="ALI-M-1", by=manager
    )
    _lose_file(doc)
    caplog.set_level(logging.ERROR, logger="core.document_files")

    # when the customer asks for it twice, in Chinese
    url = reverse("portal:invoice-pdf", args=[invoice.pk])
    customer_client.cookies["django_language"] = "zh-hans"
    first = customer_client.get(url)
    customer_client.cookies["django_language"] = "en"
    second = customer_client.get(url)

    # then a page (not a 500) says the file is unavailable, and the log says so; a GET
    # writes nothing
    assert first.status_code == UNAVAILABLE and second.status_code == UNAVAILABLE
    assert "文件暂时无法提供" in first.content.decode()
    assert "Document unavailable" in second.content.decode()
    assert f"document {doc.pk}" in caplog.text
    assert not _missing_tasks(doc)

    # when the customer presses the page's button (twice)
    for _ in range(2):
        asked = customer_client.post(url)
        assert asked.status_code == 302 and asked.url == url
    # then the account manager has one task, and the page thanks the customer
    tasks = _missing_tasks(doc)
    assert len(tasks) == 1 and tasks[0].customer_id == invoice.customer_id
    assert "account manager has been asked" in customer_client.get(url).content.decode()


def test_a_lost_receipt_is_made_again_identically(customer_client, invoice, manager):
    payment = payment_record(
        invoice=invoice, amount=invoice.amount, method="alipay", reference="ALI-M-2", by=manager
    )
    doc = receipt_document(payment=payment)
    _lose_file(doc)

    response = customer_client.get(reverse("portal:receipt-pdf", args=[payment.pk]))

    assert response.status_code == 200 and sha256_hex(_body(response)) == doc.sha256


def test_staff_get_the_unavailable_page_for_a_changed_invoice(staff_client, invoice, manager):
    doc = invoice_document(invoice=invoice)
    payment_record(
        invoice=invoice, amount=invoice.amount, method="card", reference="CARD-M-1", by=manager
    )
    _lose_file(doc)

    url = reverse("billing:invoice-pdf", args=[invoice.pk])
    response = staff_client.get(url)

    assert response.status_code == UNAVAILABLE
    assert "Document unavailable" in response.content.decode()
    assert not _missing_tasks(doc)
    staff_client.post(url)
    assert len(_missing_tasks(doc)) == 1


def test_staff_get_a_lost_receipt_again_identically(staff_client, invoice, manager):
    payment = payment_record(
        invoice=invoice, amount=invoice.amount, method="card", reference="CARD-M-2", by=manager
    )
    doc = receipt_document(payment=payment)
    _lose_file(doc)

    response = staff_client.get(reverse("billing:receipt-pdf", args=[payment.pk]))

    assert response.status_code == 200 and sha256_hex(_body(response)) == doc.sha256


def test_the_lost_quote_pdf_of_an_unchanged_quote_is_made_again_identically(
    staff_client, sent_quote
):
    _lose_file(sent_quote.document)

    response = staff_client.get(reverse("renewals:document", args=[sent_quote.case.pk, "quote"]))

    assert response.status_code == 200
    assert sha256_hex(_body(response)) == sent_quote.document.sha256


def test_a_lost_online_signed_contract_is_served_from_its_identical_twin(
    staff_client, signed_online
):
    # The contract signed online is a byte copy of the contract sent for signing.
    signed = signed_online.signature.document
    _lose_file(signed)

    response = staff_client.get(
        reverse("renewals:document", args=[signed_online.case.pk, "signed"])
    )

    assert response.status_code == 200 and sha256_hex(_body(response)) == signed.sha256


def test_a_lost_online_signed_contract_is_re_rendered_when_both_files_are_gone(
    staff_client, signed_online
):
    signed = signed_online.signature.document
    _lose_file(signed)
    _lose_file(signed_online.contract_document)

    response = staff_client.get(
        reverse("renewals:document", args=[signed_online.case.pk, "signed"])
    )

    # The contract PDF does not show the successor's status: signing changed nothing in it.
    assert response.status_code == 200 and sha256_hex(_body(response)) == signed.sha256
    assert not _missing_tasks(signed)


def test_a_lost_paper_scan_cannot_be_made_again_staff_are_told(staff_client, sent_quote, manager):
    services.quote_sign_offline(
        quote=sent_quote,
        by=manager,
        signer_name="李四",
        signed_at=sent_quote.sent_at,
        scan=b"%PDF-1.4 paper",
        filename="scan.pdf",
    )
    sent_quote.refresh_from_db()
    scan = sent_quote.signature.document
    _lose_file(scan)

    url = reverse("renewals:document", args=[sent_quote.case.pk, "signed"])
    response = staff_client.get(url)

    assert response.status_code == UNAVAILABLE
    body = response.content.decode()
    assert "Document unavailable" in body and scan.sha256 in body
    staff_client.post(url)
    tasks = _missing_tasks(scan)
    assert len(tasks) == 1 and "Document file missing" in tasks[0].title


def test_an_unknown_document_name_is_still_not_found(staff_client, sent_quote):
    response = staff_client.get(reverse("renewals:document", args=[sent_quote.case.pk, "nonsense"]))
    assert response.status_code == 404


def test_the_contract_to_sign_downloaded_from_the_portal_is_made_again_identically(
    customer_client, sent_quote
):
    # The customer reviews this PDF before signing: its hash is what they sign.
    doc = sent_quote.contract_document
    _lose_file(doc)

    response = customer_client.get(reverse("portal:document-download", args=[doc.pk]))

    assert response.status_code == 200 and sha256_hex(_body(response)) == doc.sha256


def test_a_lost_upload_in_the_portal_documents_gives_the_unavailable_page(
    customer_client, renewing_contract
):
    doc = document_store(
        data=b"%PDF-1.4 an upload",
        kind=DocumentKind.OTHER,
        title="Site survey",
        customer=renewing_contract.customer,
        contract=renewing_contract,
        filename="survey.pdf",
    )
    _lose_file(doc)
    customer_client.cookies["django_language"] = "zh-hans"

    url = reverse("portal:document-download", args=[doc.pk])
    response = customer_client.get(url)

    assert response.status_code == UNAVAILABLE
    assert "文件暂时无法提供" in response.content.decode()
    assert not _missing_tasks(doc)
    customer_client.post(url)
    assert len(_missing_tasks(doc)) == 1


def test_staff_downloading_a_lost_scan_from_the_documents_get_the_unavailable_page(
    staff_client, sent_quote, manager
):
    services.quote_sign_offline(
        quote=sent_quote,
        by=manager,
        signer_name="李四",
        signed_at=sent_quote.sent_at,
        scan=b"%PDF-1.4 paper scan",
        filename="scan.pdf",
    )
    sent_quote.refresh_from_db()
    scan = sent_quote.signature.document
    _lose_file(scan)

    response = staff_client.get(reverse("staff-document", args=[scan.pk]))

    assert response.status_code == UNAVAILABLE
    assert "Document unavailable" in response.content.decode()


def test_another_customer_cannot_ask_about_someone_elses_document(client, renewing_contract):
    doc = document_store(
        data=b"%PDF-1.4 an upload",
        kind=DocumentKind.OTHER,
        title="Site survey",
        customer=renewing_contract.customer,
        contract=renewing_contract,
        filename="survey.pdf",
    )
    _lose_file(doc)
    client.force_login(PortalAccountFactory().user)

    response = client.post(reverse("portal:document-download", args=[doc.pk]))

    assert response.status_code == 404
    assert not _missing_tasks(doc)
