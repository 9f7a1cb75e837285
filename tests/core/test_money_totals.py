"""core.money.MoneyTotals: money summed per currency, never across currencies; shown as
"CNY 12,000.00 · USD 3,000.00" by the money_totals filter in every language."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from contracts.models import Contract
from core.money import MoneyTotals, sum_by_currency, sums_by_currency
from tests.factories import ContractFactory


def test_it_sums_each_currency_apart():
    totals = MoneyTotals.of(
        [("CNY", Decimal("12000")), ("USD", Decimal("1000")), ("usd", "2000.005"), ("CNY", None)]
    )
    assert totals.amounts == {"CNY": Decimal("12000.00"), "USD": Decimal("3000.01")}
    assert totals.get("USD") == Decimal("3000.01") and totals.get("EUR") == Decimal("0.00")


def test_adding_two_totals_keeps_the_currencies_apart():
    a = MoneyTotals.of([("CNY", Decimal("1"))])
    b = MoneyTotals.of([("USD", Decimal("2")), ("CNY", Decimal("3"))])
    assert (a + b).amounts == {"CNY": Decimal("4.00"), "USD": Decimal("2.00")}


def test_it_reads_currency_first_with_grouping():
    totals = MoneyTotals.of([("USD", Decimal("3000")), ("CNY", Decimal("12000"))])
    assert totals.text() == "CNY 12,000.00 · USD 3,000.00"
    assert MoneyTotals().text() == "CNY 0.00"


def test_converting_leaves_out_a_currency_without_a_rate_instead_of_counting_it_0():
    totals = MoneyTotals.of([("CNY", "100"), ("USD", "10"), ("GBP", "5")])
    converted = totals.converted({"USD": Decimal("7.1")}, into="CNY")
    assert converted.amount == Decimal("171.00")
    assert converted.currency == "CNY" and converted.left_out == ("GBP",)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_filter_writes_one_amount_per_currency_in_every_language(language):
    totals = MoneyTotals.of([("CNY", Decimal("12000")), ("USD", Decimal("3000"))])
    template = Template("{% load money_tags %}{{ t|money_totals }}|{{ e|money_totals }}")
    with translation.override(language):
        out = template.render(Context({"t": totals, "e": MoneyTotals()}))
    assert out == "CNY 12,000.00 · USD 3,000.00|CNY 0.00"


@pytest.mark.django_db
def test_it_sums_a_queryset_per_currency_in_one_query(django_assert_num_queries):
    ContractFactory(currency="CNY", annual_value=Decimal("12000"), status="active")
    ContractFactory(currency="USD", annual_value=Decimal("3000"), status="active")
    ContractFactory(currency="USD", annual_value=Decimal("500"), status="expired")
    with django_assert_num_queries(1):
        totals = sum_by_currency(Contract.objects.all(), "annual_value")
    assert totals.amounts == {"CNY": Decimal("12000.00"), "USD": Decimal("3500.00")}
    by_status = sums_by_currency(Contract.objects.all(), "status", "annual_value")
    assert by_status["active"].text() == "CNY 12,000.00 · USD 3,000.00"
    assert by_status["expired"].text() == "USD 500.00"
