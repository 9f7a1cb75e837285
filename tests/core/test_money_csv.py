"""core.csv_export money columns: one column per currency, a row's amount in its own."""

from __future__ import annotations

from decimal import Decimal

from core.csv_export import csv_currencies, money_cells
from core.money import MoneyTotals


def test_the_currencies_are_those_found_sorted_or_the_default_one():
    assert csv_currencies(["USD", "CNY", "usd", None, ""]) == ["CNY", "USD"]
    assert csv_currencies([]) == ["CNY"]


def test_a_row_fills_the_columns_of_its_currencies_and_leaves_the_others_blank():
    totals = MoneyTotals.of([("USD", Decimal("3000"))])
    assert money_cells(totals, ["CNY", "EUR", "USD"]) == ["", "", Decimal("3000.00")]
