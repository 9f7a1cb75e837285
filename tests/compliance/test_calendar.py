"""Month arithmetic, term lengths and local days (compliance/calendar.py)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.services import term_end as billing_term_end
from compliance.calendar import local_day, local_zone, months_shift, term_last_day, term_months

days = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2100, 12, 31))


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2025, 3, 31), -1, dt.date(2025, 2, 28)),
        (dt.date(2028, 3, 31), -1, dt.date(2028, 2, 29)),
        (dt.date(2028, 2, 29), 12, dt.date(2029, 2, 28)),
        (dt.date(2028, 2, 29), -12, dt.date(2027, 2, 28)),
        (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)),
        (dt.date(2026, 5, 31), -3, dt.date(2026, 2, 28)),
        (dt.date(2026, 12, 15), 1, dt.date(2027, 1, 15)),
        (dt.date(2027, 1, 15), -1, dt.date(2026, 12, 15)),
    ],
)
def test_months_shift_clamps_at_month_ends(day, months, expected):
    assert months_shift(day, months) == expected


@given(day=days, months=st.integers(min_value=-36, max_value=36))
def test_months_shift_lands_on_the_same_day_or_the_month_end(day, months):
    moved = months_shift(day, months)
    assert (moved.year * 12 + moved.month) - (day.year * 12 + day.month) == months
    if moved.day != day.day:
        assert moved.day < day.day
        assert (moved + dt.timedelta(days=1)).day == 1  # the last day of its month


@given(start=days, months=st.sampled_from([1, 3, 6, 12, 13, 24]))
def test_term_last_day_follows_billing(start, months):
    assert term_last_day(start, months) == billing_term_end(start, months)


@given(start=days, months=st.sampled_from([1, 12, 13]))
def test_term_months_reads_back_the_length(start, months):
    assert term_months(start, term_last_day(start, months)) == months


@given(start=days, extra=st.integers(min_value=1, max_value=27))
def test_a_term_a_few_days_short_of_a_year_is_eleven_months(start, extra):
    end = term_last_day(start, 12) - dt.timedelta(days=extra)
    assert term_months(start, end) == 11


def test_term_months_of_a_reversed_or_tiny_term_is_zero():
    assert term_months(dt.date(2026, 3, 10), dt.date(2026, 3, 1)) == 0
    assert term_months(dt.date(2026, 3, 10), dt.date(2026, 3, 20)) == 0


def test_local_zone_prefers_the_region_then_the_country(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    assert local_zone("US", "US-CA") == ZoneInfo("America/Los_Angeles")
    assert local_zone("DE") == ZoneInfo("Europe/Berlin")
    assert local_zone("NO", "") == ZoneInfo("Europe/Oslo")
    assert local_zone("XX", "") == ZoneInfo("Asia/Shanghai")


def test_local_day_is_the_customer_calendar_day():
    moment = dt.datetime(2027, 3, 1, 23, 30, tzinfo=dt.UTC)
    assert local_day(moment, local_zone("DE")) == dt.date(2027, 3, 2)
    assert local_day(moment, local_zone("US", "US-CA")) == dt.date(2027, 3, 1)
    with pytest.raises(ValueError):
        local_day(moment.replace(tzinfo=None), local_zone("DE"))


@pytest.mark.parametrize(
    ("zone", "utc", "expected"),
    [
        # Berlin springs forward on 28 March 2027 (02:00 → 03:00 CET→CEST): 22:30 UTC on
        # the 28th is already 00:30 on the 29th there.
        ("Europe/Berlin", dt.datetime(2027, 3, 28, 22, 30), dt.date(2027, 3, 29)),
        ("Europe/Berlin", dt.datetime(2027, 3, 27, 22, 30), dt.date(2027, 3, 27)),
        # Berlin falls back on 31 October 2027: 23:30 UTC is 00:30 CET on 1 November.
        ("Europe/Berlin", dt.datetime(2027, 10, 31, 23, 30), dt.date(2027, 11, 1)),
        # Los Angeles springs forward at 10:00 UTC on 14 March 2027 (PST −8 → PDT −7).
        ("America/Los_Angeles", dt.datetime(2027, 3, 14, 7, 30), dt.date(2027, 3, 13)),
        ("America/Los_Angeles", dt.datetime(2027, 3, 15, 7, 30), dt.date(2027, 3, 15)),
        ("America/Los_Angeles", dt.datetime(2027, 3, 15, 6, 59), dt.date(2027, 3, 14)),
        # And falls back at 09:00 UTC on 7 November 2027.
        ("America/Los_Angeles", dt.datetime(2027, 11, 7, 7, 30), dt.date(2027, 11, 7)),
        ("America/Los_Angeles", dt.datetime(2027, 11, 8, 7, 30), dt.date(2027, 11, 7)),
    ],
)
def test_local_day_across_daylight_saving_changes(zone, utc, expected):
    assert local_day(utc.replace(tzinfo=dt.UTC), ZoneInfo(zone)) == expected
