"""Money the customer reads (portal pages, emails, PDFs) is written like on the staff pages:
currency first, comma grouping, two decimals — in both languages."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from billing.models import Invoice, InvoiceKind
from tests.factories import ContractFactory

pytestmark = pytest.mark.django_db

AMOUNT = Decimal("35901.64")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_dashboard_and_contract_page_group_thousands(
    customer_client, customer, portal_user, language
):
    portal_user.language = language
    portal_user.save(update_fields=["language"])
    contract = ContractFactory(customer=customer, total_amount=AMOUNT)

    dashboard = customer_client.get(reverse("portal:home")).content.decode()
    detail = customer_client.get(
        reverse("portal:contract-detail", kwargs={"pk": contract.pk})
    ).content.decode()

    assert "CNY 35,901.64" in dashboard
    assert "35901.64" not in dashboard
    # the summary total and the line amount
    assert detail.count("CNY 35,901.64") == 2
    assert "35901.64" not in detail


def test_the_invoice_page_groups_amount_and_balance(customer_client, customer):
    contract = ContractFactory(customer=customer, total_amount=AMOUNT)
    invoice = Invoice.objects.create(
        number="INV-MONEY-1",
        customer=customer,
        contract=contract,
        kind=InvoiceKind.values[0],
        amount=AMOUNT,
        currency="CNY",
        issue_date=timezone.localdate(),
        due_date=timezone.localdate(),
    )

    html = customer_client.get(reverse("portal:invoice", args=[invoice.pk])).content.decode()

    assert html.count("CNY 35,901.64") >= 2  # amount and balance due
    assert "35901.64" not in html


def test_the_quote_difference_table_groups_thousands_and_keeps_the_dash_for_new_lines():
    row = {
        "status": "added",
        "description": "Storage",
        "old_quantity": None,
        "new_quantity": 1,
        "old_unit_price": None,
        "new_unit_price": AMOUNT,
        "unit_change_percent": None,
        "old_amount": None,
        "new_amount": AMOUNT,
        "change_amount": AMOUNT,
        "change_percent": None,
    }
    diff = {
        "lines": [row],
        "discount_amount": Decimal("1234.50"),
        "old_total": Decimal("0.00"),
        "new_total": AMOUNT,
        "total_change": Decimal("-1234.5"),
        "total_change_percent": None,
        "new_term_months": 12,
    }

    with translation.override("zh-hans"):
        html = render_to_string("renewals/_diff_table.html", {"diff": diff})
    # Without the money filter's <span class="money"> (it keeps an amount on one line).
    html = re.sub(r'<span class="money">(.*?)</span>', r"\1", html)

    assert "— → 35,901.64" in html
    assert "+35,901.64" in html
    assert "-1,234.50" in html
    assert "0.00 → 35,901.64" in html


@pytest.mark.parametrize(
    ("template", "context"),
    [
        ("emails/dunning.txt", {"amount": "35901.64", "currency": "CNY"}),
        ("emails/renewal_quote_sent.txt", {"total": "35901.64", "currency": "CNY"}),
        ("emails/auto_renewal_confirmation.txt", {"total": "35901.64", "currency": "CNY"}),
        (
            "emails/cancellation_completed.txt",
            {"fee_to_invoice": "35901.64", "refund": "0.00", "currency": "CNY"},
        ),
        (
            "emails/cancellation_confirmed.txt",
            {"fee": "35901.64", "refund": "0.00", "fee_to_invoice": "0.00", "currency": "CNY"},
        ),
        (
            "emails/renewal_reminder.txt",
            {
                "next_fee": AMOUNT,
                "current_fee": Decimal("30000.00"),
                "fee_change_abs": Decimal("5901.64"),
                "fee_up": True,
                "days_left": 30,
                "currency": "CNY",
            },
        ),
    ],
)
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_customer_emails_group_thousands(template, context, language):
    with translation.override(language):
        text = render_to_string(template, context)

    assert "35,901.64" in text
    assert "35901.64" not in text


def test_no_customer_facing_template_prints_an_amount_next_to_its_currency_unformatted():
    # "{{ x.amount }} {{ x.currency }}" is how raw amounts slipped into the portal before.
    # Inside {% blocktranslate %} the names are placeholders of the message, formatted by
    # its "with amount=...|money" (the email tests above render those).
    base = Path(settings.BASE_DIR)
    roots = [
        base / "portal/templates",
        base / "renewals/templates/renewals/portal",
        base / "retention/templates/retention/portal",
        base / "renewals/templates/emails",
        base / "retention/templates/emails",
        base / "notifications/templates/emails",
        base / "templates/pdf",
    ]
    raw = re.compile(r"\{\{ [\w.]+(\|unlocalize)? \}\} \{\{ [\w.]*currency \}\}")
    messages = re.compile(r"\{% blocktranslate.*?\{% endblocktranslate %\}", re.DOTALL)
    offenders = [
        f"{path.relative_to(base)}: {match.group(0)}"
        for root in roots
        for path in sorted(root.rglob("*.*"))
        for match in raw.finditer(messages.sub("", path.read_text()))
    ]
    assert offenders == []
