"""The customer list's annual value: in the default currency, converted at the tier
settings' exchange rates, never adding a currency without a rate as if it were CNY."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse

from contracts.customer_selectors import customer_list
from contracts.models import ContractStatus
from customers.models import TierSettings
from customers.selectors import CustomerFilters
from tests.factories import ContractFactory, CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(db):
    settings_row = TierSettings.load()
    settings_row.fx_rates = {"USD": "7.1000", "eur": "7.7"}
    settings_row.save()
    return settings_row


def _rows(user, sort: str = "code") -> dict[str, object]:
    return {c.code: c for c in customer_list(user=user, filters=CustomerFilters(sort=sort))}


def test_it_converts_other_currencies_at_the_tier_settings_rates(manager, rates):
    customer = CustomerFactory(account_manager=manager, code="C1")
    ContractFactory(customer=customer, currency="CNY", annual_value=Decimal("1000.00"))
    ContractFactory(customer=customer, currency="USD", annual_value=Decimal("100.00"))
    ContractFactory(customer=customer, currency="EUR", annual_value=Decimal("10.01"))
    # Not active: never counted.
    ContractFactory(
        customer=customer, currency="CNY", annual_value=Decimal("5000"), status="expired"
    )

    row = _rows(manager)["C1"]

    # 1000 + 100 × 7.1 + 10.01 × 7.7 = 1787.077 → 1787.08
    assert row.active_value == Decimal("1787.08")
    assert isinstance(row.active_value, Decimal)
    assert row.active_value_currency == "CNY"
    assert row.unconverted_currencies == 0
    assert row.unconverted_currency is None


def test_it_leaves_out_a_currency_without_a_rate_and_names_it(manager, rates):
    customer = CustomerFactory(account_manager=manager, code="C1")
    ContractFactory(customer=customer, currency="CNY", annual_value=Decimal("1000.00"))
    ContractFactory(customer=customer, currency="GBP", annual_value=Decimal("999999.00"))
    ContractFactory(customer=customer, currency="JPY", annual_value=Decimal("5.00"))
    ContractFactory(customer=customer, currency="JPY", annual_value=Decimal("6.00"))
    only_foreign = CustomerFactory(account_manager=manager, code="C2")
    ContractFactory(customer=only_foreign, currency="GBP", annual_value=Decimal("50.00"))

    rows = _rows(manager)

    assert rows["C1"].active_value == Decimal("1000.00")
    assert rows["C1"].unconverted_currency == "GBP"
    assert rows["C1"].unconverted_currencies == 2
    assert rows["C2"].active_value == Decimal("0")
    assert rows["C2"].unconverted_currency == "GBP"
    assert rows["C2"].unconverted_currencies == 1


def test_without_any_rate_only_the_default_currency_counts(manager):
    customer = CustomerFactory(account_manager=manager, code="C1")
    ContractFactory(customer=customer, currency="CNY", annual_value=Decimal("10.00"))
    ContractFactory(customer=customer, currency="USD", annual_value=Decimal("10.00"))

    row = _rows(manager)["C1"]

    assert row.active_value == Decimal("10.00")
    assert row.unconverted_currency == "USD"


def test_it_sorts_by_the_converted_value(manager, rates):
    small_cny = CustomerFactory(account_manager=manager, code="A")
    ContractFactory(customer=small_cny, currency="CNY", annual_value=Decimal("500.00"))
    # 100 USD = 710 CNY: more than 500 CNY although 100 < 500.
    usd = CustomerFactory(account_manager=manager, code="B")
    ContractFactory(customer=usd, currency="USD", annual_value=Decimal("100.00"))
    # A big amount without a rate does not lift the customer to the top.
    no_rate = CustomerFactory(account_manager=manager, code="C")
    ContractFactory(customer=no_rate, currency="GBP", annual_value=Decimal("100000.00"))
    CustomerFactory(account_manager=manager, code="D")

    assert list(_rows(manager, "-value")) == ["B", "A", "D", "C"]
    assert list(_rows(manager, "value")) == ["C", "D", "A", "B"]


def test_the_page_labels_the_column_and_marks_what_is_left_out(client, manager, rates):
    customer = CustomerFactory(account_manager=manager, code="C1")
    ContractFactory(customer=customer, currency="CNY", annual_value=Decimal("21232.69"))
    ContractFactory(customer=customer, currency="GBP", annual_value=Decimal("1.00"))
    client.force_login(manager)

    html = client.get(reverse("customers:list")).content.decode()

    assert "Annual value (CNY)" in html
    assert "21,232.69" in html
    assert "excl. GBP" in html
    assert "A currency without a rate is never added" in html


def test_the_page_speaks_chinese(client, manager, rates):
    customer = CustomerFactory(account_manager=manager, code="C1")
    ContractFactory(customer=customer, currency="GBP", annual_value=Decimal("1.00"))
    ContractFactory(customer=customer, currency="HKD", annual_value=Decimal("1.00"))
    client.force_login(manager)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"

    html = client.get(reverse("customers:list")).content.decode()

    assert "年化金额（CNY）" in html
    assert "不含 GBP 及另外 1 种货币" in html
    assert "没有汇率的货币绝不会当作 CNY 直接相加" in html


def test_active_contracts_only(manager, rates):
    customer = CustomerFactory(account_manager=manager, code="C1")
    ContractFactory(customer=customer, currency="GBP", status=ContractStatus.EXPIRED)

    row = _rows(manager)["C1"]

    assert row.unconverted_currencies == 0
    assert row.active_value == Decimal("0")
