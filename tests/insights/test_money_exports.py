"""The contract and customer CSV exports give money one column per currency, named in the
header ("Annualised value (USD)"): a spreadsheet's column sum never adds USD to CNY, and
a customer's USD contracts are neither converted nor left out (issue #13, item 10)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from customers.models import TierSettings
from tests.factories import ContractFactory, CustomerFactory

pytestmark = pytest.mark.django_db

HEADERS = {
    "en": {
        "total": "Total for the term ({})",
        "annual": "Annualised value ({})",
        "active": "Active annualised value ({})",
    },
    "zh-hans": {
        "total": "合同期总额（{}）",
        "annual": "年化金额（{}）",
        "active": "有效合同年化金额（{}）",
    },
}


@pytest.fixture
def export(client, manager):
    def get(language: str, name: str) -> list[dict[str, str]]:
        client.cookies["django_language"] = language
        response = client.get(reverse(name))
        assert response.status_code == 200
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]

    client.force_login(manager)
    return get


@pytest.fixture
def mixed_customer(manager):
    """One customer with 12,000 CNY and 3,000 + 500 USD active, and 99 USD expired; a
    rate for USD is configured, which must not make the export convert anything."""
    TierSettings.objects.update_or_create(pk=1, defaults={"fx_rates": {"USD": "7"}})
    customer = CustomerFactory(account_manager=manager, code="MIX", name="Mixed Ltd")
    ContractFactory(customer=customer, number="HT-CNY", currency="CNY")
    for number, amount in (("HT-USD-1", "3000.00"), ("HT-USD-2", "500.00")):
        ContractFactory(
            customer=customer,
            number=number,
            currency="USD",
            total_amount=Decimal(amount),
            annual_value=Decimal(amount),
        )
    ContractFactory(
        customer=customer,
        number="HT-OLD",
        status="expired",
        currency="USD",
        annual_value=Decimal("99.00"),
    )
    return customer


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_contract_export_has_a_money_column_per_currency(export, mixed_customer, language):
    h = HEADERS[language]
    rows = {r[list(r)[0]]: r for r in export(language, "insights:contracts-export")}
    usd, cny = rows["HT-USD-1"], rows["HT-CNY"]
    assert usd[h["annual"].format("USD")] == "3000.00"
    assert usd[h["annual"].format("CNY")] == ""
    assert usd[h["total"].format("USD")] == "3000.00"
    assert cny[h["annual"].format("CNY")] == "12000.00"
    assert cny[h["annual"].format("USD")] == ""


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_customer_export_sums_active_value_per_currency(export, mixed_customer, language):
    h = HEADERS[language]
    [row] = export(language, "insights:customers-export")
    # Not 12,000 + 3,500 × 7 = 36,500 CNY, and the expired 99 USD not counted.
    assert row[h["active"].format("CNY")] == "12000.00"
    assert row[h["active"].format("USD")] == "3500.00"


def test_an_export_with_only_the_default_currency_keeps_one_column(export, manager):
    ContractFactory(customer=CustomerFactory(account_manager=manager))
    [row] = export("en", "insights:customers-export")
    assert [k for k in row if "annualised value" in k.lower()] == ["Active annualised value (CNY)"]
    [contract] = export("en", "insights:contracts-export")
    assert "Annualised value (CNY)" in contract and "Annualised value (USD)" not in contract
