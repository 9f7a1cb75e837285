from __future__ import annotations

import datetime as dt

import pytest

from relations.cadence_dates import (
    cadence_step,
    contact_opens_on,
    next_contact_due,
    not_contacted_since,
)

D = dt.date


@pytest.mark.parametrize(
    ("start", "every", "unit", "expected"),
    [
        (D(2027, 1, 31), 1, "months", D(2027, 2, 28)),  # a non-leap February's end
        (D(2028, 1, 31), 1, "months", D(2028, 2, 29)),  # a leap day
        (D(2028, 2, 29), 12, "months", D(2029, 2, 28)),  # a leap day a year on
        (D(2028, 11, 30), 3, "months", D(2029, 2, 28)),
        (D(2028, 12, 31), 1, "months", D(2029, 1, 31)),  # across the year end
        (D(2028, 2, 1), 30, "days", D(2028, 3, 2)),  # 29 days in that February
        (D(2027, 2, 1), 30, "days", D(2027, 3, 3)),
        (D(2028, 12, 31), 1, "days", D(2029, 1, 1)),
    ],
)
def test_it_steps_by_days_and_by_calendar_months_clamped_to_the_month_end(
    start, every, unit, expected
):
    assert cadence_step(start, every=every, unit=unit) == expected


def test_a_never_contacted_customer_is_due_on_the_sweep_date():
    assert next_contact_due(
        last_contact=None, last_planned=None, every=30, unit="days", as_of=D(2028, 2, 29)
    ) == D(2028, 2, 29)


def test_the_next_contact_counts_from_the_later_of_the_last_contact_and_the_last_plan():
    # a plan skipped on 29 February counts, though the last call was earlier
    assert next_contact_due(
        last_contact=D(2028, 1, 10),
        last_planned=D(2028, 2, 29),
        every=1,
        unit="months",
        as_of=D(2028, 3, 1),
    ) == D(2028, 3, 29)
    assert next_contact_due(
        last_contact=D(2028, 3, 31),
        last_planned=D(2028, 2, 29),
        every=1,
        unit="months",
        as_of=D(2028, 4, 1),
    ) == D(2028, 4, 30)


def test_the_window_opens_lead_days_before_the_due_date_across_month_ends():
    assert contact_opens_on(D(2028, 3, 1), lead_days=1) == D(2028, 2, 29)
    assert contact_opens_on(D(2027, 3, 1), lead_days=1) == D(2027, 2, 28)
    assert contact_opens_on(D(2029, 1, 10), lead_days=14) == D(2028, 12, 27)


def test_not_contacted_since_counts_back_whole_days():
    assert not_contacted_since(as_of=D(2028, 3, 1), days=1) == D(2028, 2, 29)
    assert not_contacted_since(as_of=D(2029, 1, 1), days=366) == D(2028, 1, 1)
