"""contracts/annual_value.py: a term of whole months is annualised by its months, any other
term by its days (Decimal)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from contracts.annual_value import annual_value, whole_months
from contracts.services import _annualise

D = dt.date


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (D(2027, 2, 1), D(2027, 2, 28)),  # 28 days
        (D(2028, 2, 1), D(2028, 2, 29)),  # leap February
        (D(2027, 3, 1), D(2027, 3, 31)),  # 31 days
        (D(2027, 1, 31), D(2027, 2, 28)),  # from a month's last day
        (D(2027, 3, 15), D(2027, 4, 14)),
        (D(2027, 12, 20), D(2028, 1, 19)),  # over the year's end
    ],
)
def test_it_annualises_a_one_month_term_at_twelve_times_its_fee(start, end):
    assert whole_months(start, end) == 1
    assert annual_value(Decimal("500.00"), start, end) == Decimal("6000.00")


def test_it_annualises_a_year_of_a_leap_year_at_its_fee():
    assert annual_value(Decimal("6000.00"), D(2028, 1, 1), D(2028, 12, 31)) == Decimal("6000.00")
    assert annual_value(Decimal("6000.00"), D(2028, 2, 29), D(2029, 2, 28)) == Decimal("6000.00")


def test_it_annualises_a_quarter_by_its_months():
    assert whole_months(D(2027, 11, 30), D(2028, 2, 28)) is None  # one day short of 3 months
    assert whole_months(D(2027, 11, 30), D(2028, 2, 29)) == 3
    assert annual_value(Decimal("1500.00"), D(2027, 11, 30), D(2028, 2, 29)) == Decimal("6000.00")


def test_it_annualises_a_term_of_no_whole_months_by_its_days():
    # 2027-01-01..2027-01-10: ten days, 365/10 of the fee.
    assert whole_months(D(2027, 1, 1), D(2027, 1, 10)) is None
    assert annual_value(Decimal("100.00"), D(2027, 1, 1), D(2027, 1, 10)) == Decimal("3650.00")
    # A year and a day is no whole number of months either.
    assert annual_value(Decimal("366.00"), D(2027, 1, 1), D(2028, 1, 1)) == Decimal("365.00")


def test_contract_services_use_it():
    assert _annualise(Decimal("500.00"), D(2027, 3, 1), D(2027, 3, 31)) == Decimal("6000.00")
