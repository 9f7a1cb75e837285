"""Money on the staff billing, renewal and retention pages is written like on the contract
and customer lists: currency first, comma grouping, two decimals — in both languages.
The customer CSV export keeps plain decimals and names the currency in its header."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.services import credit_note_issue, invoice_issue, payment_record
from contracts.models import ContractStatus
from retention import services as retention
from tests.factories import ContractFactory, CustomerFactory, PortalAccountFactory

pytestmark = pytest.mark.django_db

AMOUNT = Decimal("35901.64")
GROUPED = "CNY 35,901.64"
OLD = "35901.64 CNY"
LANGUAGES = ["en", "zh-hans"]
# A word of each page's title, to be sure the page was rendered in that language.
TITLES = {
    "billing:invoices": {"en": "Invoices and payments", "zh-hans": "发票与付款"},
    "billing:credit-notes": {"en": "Credit notes and refunds", "zh-hans": "贷项通知单与退款"},
    "retention:queue": {"en": "Cancellation queue", "zh-hans": "解约队列"},
    "retention:winback": {"en": "Win-back", "zh-hans": "赢回客户"},
}


@pytest.fixture
def staff(client, manager):
    def get(language: str, name: str, *args: object, **params: str) -> str:
        client.cookies["django_language"] = language
        response = client.get(reverse(name, args=args), params)
        assert response.status_code == 200
        # The money filter's <span class="money"> keeps an amount on one line (markup,
        # not text): compared without it.
        return re.sub(r'<span class="money">(.*?)</span>', r"\1", response.content.decode())

    client.force_login(manager)
    return get


@pytest.fixture
def contract(manager):
    customer = CustomerFactory(account_manager=manager, name="Big Spender Ltd")
    return ContractFactory(customer=customer, total_amount=AMOUNT, annual_value=AMOUNT)


@pytest.fixture
def invoice(contract):
    return invoice_issue(
        customer=contract.customer,
        contract=contract,
        amount=AMOUNT,
        description="Support",
        due_date=timezone.localdate() + dt.timedelta(days=14),
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_invoice_pages_group_amounts_balances_and_payments(staff, manager, invoice, language):
    payment_record(
        invoice=invoice,
        amount=Decimal("12345.67"),
        method="bank_transfer",
        reference="BT-1",
        by=manager,
    )
    credit_note_issue(
        customer=invoice.customer,
        invoice=invoice,
        amount=Decimal("1000.00"),
        reason="Goodwill",
        by=manager,
    )

    listing = staff(language, "billing:invoices")
    assert TITLES["billing:invoices"][language] in listing
    assert GROUPED in listing and OLD not in listing
    assert "CNY 22,555.97" in listing  # the balance, with its currency now

    detail = staff(language, "billing:invoice", invoice.pk)
    assert GROUPED in detail and OLD not in detail
    assert "CNY 12,345.67 / CNY 1,000.00" in detail  # paid / credited
    assert "CNY 22,555.97" in detail  # balance
    assert detail.count("CNY 12,345.67") >= 2  # and the payment's row


def test_an_over_payment_badge_groups_the_surplus(staff, manager, invoice):
    payment_record(
        invoice=invoice,
        amount=Decimal("37901.64"),
        method="bank_transfer",
        reference="BT-2",
        by=manager,
    )
    detail = staff("en", "billing:invoice", invoice.pk)
    assert "CNY 37,901.64" in detail
    assert "CNY 2,000.00 over-paid" in detail


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_credit_notes_page_groups_amount_and_refund_due(staff, manager, contract, language):
    credit_note_issue(
        customer=contract.customer, amount=Decimal("2500.00"), reason="Refund", by=manager
    )
    html = staff(language, "billing:credit-notes")
    assert TITLES["billing:credit-notes"][language] in html
    assert html.count("CNY 2,500.00") == 2  # amount and refund due
    assert "2500.00 CNY" not in html
    # The pay-out field keeps a plain decimal the form can read back.
    assert 'value="2500.00"' in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_renewal_pages_and_the_contract_renewal_section_group_amounts(
    client, staff, contract, invoice, language
):
    client.post(reverse("renewals:open", args=[contract.pk]))
    case = contract.renewal_case

    board = staff(language, "renewals:pipeline")
    assert GROUPED in board and OLD not in board
    assert "35,901.64" in board  # the column total

    page = staff(language, "renewals:case", case.pk)
    assert GROUPED in page and OLD not in page

    contract_page = staff(language, "contracts:detail", contract.pk)
    section = contract_page[contract_page.index('id="contract-renewal"') :]
    assert f"{invoice.number}</a> · {GROUPED}" in section
    assert OLD not in contract_page


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_retention_pages_group_amounts(staff, manager, contract, language):
    portal_user = PortalAccountFactory(customer=contract.customer).user
    request = retention.cancellation_submit(
        contract=contract, kind="early_termination", reason="price", by=portal_user
    )
    other = ContractFactory(customer=contract.customer, total_amount=Decimal("4321.00"))
    gone = CustomerFactory(account_manager=manager, name="Gone Ltd")
    ContractFactory(
        customer=gone,
        status=ContractStatus.TERMINATED,
        start_date=timezone.localdate() - dt.timedelta(days=300),
        end_date=timezone.localdate() - dt.timedelta(days=30),
        annual_value=Decimal("8000"),
    )

    queue = staff(language, "retention:queue")
    assert TITLES["retention:queue"][language] in queue
    assert GROUPED in queue and OLD not in queue  # the annual value

    detail = staff(language, "retention:detail", request.pk)
    assert GROUPED in detail and OLD not in detail  # the customer's contract history
    # The numbers shown to the customer: every amount currency first.
    assert " CNY</dd>" not in detail
    assert '<dd class="col-6">CNY ' in detail

    new = staff(language, "retention:new", number=other.number)
    assert "CNY 4,321.00" in new and "4321.00 CNY" not in new

    winback = staff(language, "retention:winback")
    assert TITLES["retention:winback"][language] in winback
    assert "CNY 8,000.00" in winback and "8000.00 CNY" not in winback


@pytest.mark.parametrize(
    ("language", "header"),
    [("en", "Active annualised value (CNY)"), ("zh-hans", "有效合同年化金额（CNY）")],
)
def test_the_customer_export_names_the_currency_and_keeps_plain_decimals(
    staff, contract, language, header
):
    text = staff(language, "insights:customers-export").lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    assert header in rows[0]
    column = rows[0].index(header)
    row = next(r for r in rows[1:] if r[1] == "Big Spender Ltd")
    assert row[column] == "35901.64"
