"""One calendar rule for a term's last day (quotes and automatic renewals), and
renewals.selectors.term_months as its inverse, at month ends and leap days."""

from __future__ import annotations

import datetime as dt

import pytest

from billing.services import term_end
from renewals.selectors import term_months

D = dt.date


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (D(2027, 1, 1), 12, D(2027, 12, 31)),
        (D(2028, 2, 29), 12, D(2029, 2, 28)),  # a year from a leap day: the 28th, not 27th
        (D(2028, 3, 1), 12, D(2029, 2, 28)),
        (D(2027, 3, 1), 12, D(2028, 2, 29)),
        (D(2028, 1, 31), 1, D(2028, 2, 29)),  # a month from 31 January: February's last
        (D(2027, 1, 31), 1, D(2027, 2, 28)),
        (D(2028, 2, 29), 1, D(2028, 3, 28)),
        (D(2028, 12, 31), 3, D(2029, 3, 30)),
        (D(2027, 8, 31), 6, D(2028, 2, 29)),
    ],
)
def test_a_term_ends_on_its_last_day_and_counts_back_to_its_months(start, months, end):
    assert term_end(start, months) == end
    assert term_months(start, end) == months


def test_a_chain_of_yearly_renewals_from_a_leap_day_never_shrinks():
    start = D(2028, 2, 29)
    for _ in range(5):
        end = term_end(start, 12)
        assert term_months(start, end) == 12
        start = end + dt.timedelta(days=1)
    assert start == D(2033, 3, 1)
