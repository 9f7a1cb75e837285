"""Measurement periods: calendar months and quarters cut to the term, at month ends and in
leap years, and the period's share of the term's fee."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from relations.service_periods import Period, period_containing, period_fee, periods_of_term

D = dt.date


def test_a_leap_february_is_one_period_of_29_days():
    period = period_containing(
        D(2028, 2, 29), kind="monthly", term_start=D(2028, 1, 1), term_end=D(2028, 12, 31)
    )
    assert period == Period(D(2028, 2, 1), D(2028, 2, 29), "monthly")
    assert period.days == 29
    assert period.label == "2028-02"


def test_a_common_february_ends_on_the_28th():
    period = period_containing(
        D(2027, 2, 28), kind="monthly", term_start=D(2027, 1, 1), term_end=D(2027, 12, 31)
    )
    assert (period.start, period.end, period.days) == (D(2027, 2, 1), D(2027, 2, 28), 28)


@pytest.mark.parametrize(
    ("day", "start", "end", "label"),
    [
        (D(2028, 3, 31), D(2028, 1, 1), D(2028, 3, 31), "2028 Q1"),
        (D(2028, 4, 1), D(2028, 4, 1), D(2028, 6, 30), "2028 Q2"),
        (D(2028, 9, 30), D(2028, 7, 1), D(2028, 9, 30), "2028 Q3"),
        (D(2028, 12, 31), D(2028, 10, 1), D(2028, 12, 31), "2028 Q4"),
    ],
)
def test_quarters_end_on_the_last_day_of_their_third_month(day, start, end, label):
    period = period_containing(
        day, kind="quarterly", term_start=D(2028, 1, 1), term_end=D(2028, 12, 31)
    )
    assert (period.start, period.end, period.label) == (start, end, label)


def test_a_term_from_the_31st_of_january_starts_with_a_one_day_period():
    periods = periods_of_term(
        kind="monthly", term_start=D(2028, 1, 31), term_end=D(2029, 1, 30), started_by=D(2029, 6, 1)
    )
    assert periods[0] == Period(D(2028, 1, 31), D(2028, 1, 31), "monthly")
    assert periods[1] == Period(D(2028, 2, 1), D(2028, 2, 29), "monthly")
    assert periods[-1] == Period(D(2029, 1, 1), D(2029, 1, 30), "monthly")
    assert len(periods) == 13
    assert sum(p.days for p in periods) == (D(2029, 1, 30) - D(2028, 1, 31)).days + 1


def test_only_periods_that_have_begun_are_listed():
    periods = periods_of_term(
        kind="monthly",
        term_start=D(2028, 1, 1),
        term_end=D(2028, 12, 31),
        started_by=D(2028, 2, 29),
    )
    assert [p.label for p in periods] == ["2028-01", "2028-02"]
    quarter = periods_of_term(
        kind="quarterly",
        term_start=D(2028, 1, 1),
        term_end=D(2028, 12, 31),
        started_by=D(2028, 3, 31),
    )
    assert [p.label for p in quarter] == ["2028 Q1"]


def test_a_day_outside_the_term_has_no_period():
    assert (
        period_containing(
            D(2029, 1, 1), kind="monthly", term_start=D(2028, 1, 1), term_end=D(2028, 12, 31)
        )
        is None
    )


def test_the_period_fee_is_the_term_fee_pro_rata_by_days():
    # 36,600 over 366 days is 100 a day: a leap February costs 2,900, the first quarter 9,100
    feb = Period(D(2028, 2, 1), D(2028, 2, 29), "monthly")
    q1 = Period(D(2028, 1, 1), D(2028, 3, 31), "quarterly")
    assert period_fee(term_total=Decimal("36600.00"), term_days=366, period=feb) == Decimal(
        "2900.00"
    )
    assert period_fee(term_total=Decimal("36600.00"), term_days=366, period=q1) == Decimal(
        "9100.00"
    )
    # and a fee that does not divide evenly is rounded to the cent, half up
    assert period_fee(term_total=Decimal("1000.00"), term_days=365, period=feb) == Decimal("79.45")
