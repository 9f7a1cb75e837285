"""A document's title is shown in the reader's language: stored once in the customer's
language (the record, unchanged), rebuilt at display from its kind and facts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import translation

from billing.documents import invoice_document, receipt_document
from billing.models import Invoice
from billing.services import payment_record
from contracts.models import ContractLine, ContractStatus, PlanPrice
from core.models import Document, DocumentKind
from core.stored_texts import document_title_display
from renewals import services as renewals
from retention import services as retention
from retention.documents import confirmation_document_create
from tests.factories import (
    ContactFactory,
    ContractFactory,
    CustomerFactory,
    PlanFactory,
    PortalAccountFactory,
    StaffFactory,
    TermsVersionFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.mark.parametrize(
    ("kind", "stored", "english", "chinese"),
    [
        ("invoice", "发票 INV-2024-000001", "Invoice INV-2024-000001", "发票 INV-2024-000001"),
        ("receipt", "Receipt RC-2024-000001", "Receipt RC-2024-000001", "收据 RC-2024-000001"),
        (
            "contract",
            "合同 HT-2026-000067（第 2 版）",
            "Contract HT-2026-000067 (revision 2)",
            "合同 HT-2026-000067（第 2 版）",
        ),
        (
            "quote",
            "Renewal quote RQ-2026-000009 (revision 1)",
            "Renewal quote RQ-2026-000009 (revision 1)",
            "续约报价 RQ-2026-000009（第 1 版）",
        ),
        (
            "signed",
            "合同 HT-2026-000067，由 张艳 在线签署",
            "Contract HT-2026-000067, signed online by 张艳",
            "合同 HT-2026-000067，由 张艳 在线签署",
        ),
        (
            "signed",
            "Contract HT-2026-000068, signed on paper by Jane Doe",
            "Contract HT-2026-000068, signed on paper by Jane Doe",
            "合同 HT-2026-000068，由 Jane Doe 纸质签署",
        ),
        (
            "cancellation",
            "解约确认书 HT-2025-000023",
            "Cancellation confirmation HT-2025-000023",
            "解约确认书 HT-2025-000023",
        ),
    ],
)
def test_it_rebuilds_each_kind_of_title_in_the_active_language(kind, stored, english, chinese):
    document = Document(kind=kind, title=stored)

    with translation.override("en"):
        assert document.display_title == english
    with translation.override("zh-hans"):
        assert document.display_title == chinese
    assert document.title == stored  # the record is not touched


@pytest.mark.parametrize(
    ("kind", "stored"),
    [
        ("other", "scan of the signed page.pdf"),
        ("invoice", "Old invoice wording INV-1"),
        # the right words under the wrong kind: not rebuilt from another kind's pattern
        ("receipt", "发票 INV-2024-000001"),
    ],
)
def test_a_title_that_follows_no_pattern_of_its_kind_is_shown_as_stored(kind, stored):
    with translation.override("en"):
        assert document_title_display(kind=kind, title=stored) == stored
    with translation.override("zh-hans"):
        assert document_title_display(kind=kind, title=stored) == stored


# --- The titles the services store, read back in the other language ----------------------


@pytest.fixture
def chinese_renewal():
    """A Chinese customer's contract renewed and signed online, its invoice and receipt,
    by people using the Chinese interface: every title is stored in Chinese."""
    with (
        time_machine.travel(dt.datetime(2026, 11, 21, 10, 0, tzinfo=dt.UTC), tick=False),
        translation.override("zh-hans"),
    ):
        manager = StaffFactory(language="zh-hans")
        plan = PlanFactory(code="PRO", name="专业版 Pro", price=Decimal("1000.00"))
        TermsVersionFactory(version="2026.2", effective_from=dt.date(2026, 10, 1))
        customer = CustomerFactory(name="上海示例", account_manager=manager, language="zh-hans")
        ContactFactory(customer=customer, email="buyer@example.com")
        contract = ContractFactory(
            customer=customer,
            plan=plan,
            status=ContractStatus.ACTIVE,
            start_date=dt.date(2026, 1, 1),
            end_date=dt.date(2026, 12, 31),
            total_amount=Decimal("12000.00"),
            annual_value=Decimal("12000.00"),
            with_line=False,
        )
        ContractLine.objects.create(
            contract=contract,
            plan=plan,
            description="专业版 Pro",
            quantity=Decimal("1"),
            unit_price=Decimal("12000.00"),
        )
        PlanPrice.objects.create(
            plan=plan, price=Decimal("1100.00"), effective_from=dt.date(2026, 11, 21)
        )
        case, _created = renewals.case_open(contract=contract)
        quote = renewals.quote_create(case=case, by=manager)
        renewals.quote_send(quote=quote, by=manager)
        quote.refresh_from_db()
        signature = renewals.quote_sign_online(
            quote=quote,
            full_name="张艳",
            accepted=True,
            document_sha256=quote.contract_document.sha256,
        )
        case.refresh_from_db()
        invoice = Invoice.objects.get(contract=case.successor)
        payment = payment_record(
            invoice=invoice,
            amount=invoice.amount,
            method="alipay",
            reference="ALI-TITLE-1",
            by=manager,
        )
        return {
            "customer": customer,
            "manager": manager,
            "successor": case.successor,
            "quote": quote,
            "contract_document": quote.contract_document,
            "quote_document": quote.document,
            "signed": signature.document,
            "invoice": invoice_document(invoice=invoice),
            "invoice_number": invoice.number,
            "receipt": receipt_document(payment=payment),
            "receipt_number": payment.number,
        }


def test_the_titles_the_services_store_in_chinese_read_in_english(chinese_renewal):
    r = chinese_renewal
    number, quote = r["successor"].number, r["quote"]
    expected = {
        "invoice": f"Invoice {r['invoice_number']}",
        "receipt": f"Receipt {r['receipt_number']}",
        "signed": f"Contract {number}, signed online by 张艳",
        "contract_document": f"Contract {number} (revision {quote.revision})",
        "quote_document": f"Renewal quote {quote.number} (revision {quote.revision})",
    }
    for key, english in expected.items():
        document = Document.objects.get(pk=r[key].pk)
        with translation.override("en"):
            assert document.display_title == english, key
        with translation.override("zh-hans"):
            assert document.display_title == document.title, key
        assert document.title != english, key  # stored in Chinese, and left so


def test_the_cancellation_confirmation_stored_in_chinese_reads_in_english():
    with time_machine.travel(dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC), tick=False):
        manager = StaffFactory()
        customer = CustomerFactory(account_manager=manager, language="zh-hans")
        contract = ContractFactory(
            customer=customer,
            start_date=dt.date(2026, 1, 1),
            end_date=dt.date(2026, 12, 31),
            notice_period_days=30,
        )
        user = PortalAccountFactory(customer=customer).user
        request = retention.cancellation_submit(
            contract=contract, kind="early_termination", reason="budget", by=user
        )
        request = retention.cancellation_confirm(request=request, by=manager)
        document = confirmation_document_create(request=request)

    assert document.title == f"解约确认书 {contract.number}"
    with translation.override("en"):
        assert document.display_title == f"Cancellation confirmation {contract.number}"


# --- The pages ------------------------------------------------------------------------------


def _document(*, contract, kind: str, title: str) -> Document:
    document = Document(
        kind=kind, title=title, sha256="0" * 64, customer=contract.customer, contract=contract
    )
    document.file.save("d.pdf", ContentFile(b"pdf"), save=False)
    document.save()
    return document


def test_the_portal_lists_a_chinese_stored_document_in_english(client):
    customer = CustomerFactory(language="zh-hans")
    contract = ContractFactory(customer=customer)
    _document(contract=contract, kind=DocumentKind.RECEIPT, title="收据 RC-2024-000001")
    _document(
        contract=contract,
        kind=DocumentKind.SIGNED,
        title=f"合同 {contract.number}，由 张艳 在线签署",
    )
    account = PortalAccountFactory(customer=customer, user__language="zh-hans")
    client.force_login(account.user)
    client.cookies.load({"django_language": "en"})

    page = client.get(reverse("portal:contract-detail", kwargs={"pk": contract.pk}))
    html = page.content.decode()

    assert "Receipt RC-2024-000001" in html
    assert f"Contract {contract.number}, signed online by 张艳" in html
    assert "收据" not in html


def test_the_staff_contract_page_lists_an_english_stored_document_in_chinese(client):
    manager = StaffFactory(language="zh-hans")
    contract = ContractFactory(customer=CustomerFactory(account_manager=manager, language="en"))
    _document(contract=contract, kind=DocumentKind.INVOICE, title="Invoice INV-2024-000001")
    client.force_login(manager)
    client.cookies.load({"django_language": "zh-hans"})

    html = client.get(reverse("contracts:detail", kwargs={"pk": contract.pk})).content.decode()

    assert "发票 INV-2024-000001" in html
    assert "Invoice INV-2024-000001" not in html
