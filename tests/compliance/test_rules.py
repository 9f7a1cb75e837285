"""Combining rule sets and their notice windows (compliance/rules.py): pure, unsaved rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compliance.calendar import months_shift, term_last_day
from compliance.models import Jurisdiction, RuleSet
from compliance.rules import (
    NoticeWindow,
    Rules,
    combine,
    notice_window,
    price_change_needs_notice,
    price_change_window,
    refusal_deadline_for,
)

CN = Jurisdiction(code="CN", name="China")
CA = Jurisdiction(code="US-CA", name="California")
FR = Jurisdiction(code="FR", name="France")
DE = Jurisdiction(code="DE", name="Germany")
EU = Jurisdiction(code="EU", name="European Union")


def rs(jurisdiction: Jurisdiction, version: int = 1, **kwargs) -> RuleSet:
    kwargs.setdefault("effective_from", dt.date(2020, 1, 1))
    kwargs.setdefault("source_citation", "law")
    return RuleSet(jurisdiction=jurisdiction, version=version, **kwargs)


def china() -> RuleSet:
    return rs(CN, notice_unit="days", notice_min=5, prominent_disclosure_required=True)


def california() -> RuleSet:
    return rs(
        CA,
        2,
        notice_unit="days",
        notice_min=15,
        notice_max=45,
        applies_to_terms_of_at_least_months=12,
        price_change_notice_min_days=7,
        price_change_notice_max_days=30,
        price_change_threshold_percent=Decimal("0"),
        consent_retention_years=3,
    )


def france() -> RuleSet:
    return rs(
        FR,
        notice_unit="months",
        notice_min=1,
        notice_max=3,
        window_anchor="refusal_deadline",
        free_termination_if_not_notified=True,
    )


def germany() -> RuleSet:
    return rs(
        DE, 2, renew_into_open_ended=True, open_ended_notice_months=1, requires_cancel_button=True
    )


def eu() -> RuleSet:
    return rs(EU, 2, withdrawal_days=14, requires_withdrawal_function=True)


# --- explicit dates ---------------------------------------------------------------------


def test_china_notice_is_due_five_days_before_the_last_day_with_no_earliest_day():
    window = notice_window(china(), dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert window == NoticeWindow(earliest=None, latest=dt.date(2026, 12, 26), sources=("CN v1",))
    assert window.contains(dt.date(2026, 1, 2))
    assert window.contains(dt.date(2026, 12, 26))
    assert not window.contains(dt.date(2026, 12, 27))


def test_california_window_is_15_to_45_days_before_for_a_yearly_term():
    window = notice_window(california(), dt.date(2027, 3, 1), dt.date(2028, 2, 29))
    assert window is not None
    assert (window.earliest, window.latest) == (dt.date(2028, 1, 15), dt.date(2028, 2, 14))


def test_california_asks_nothing_for_a_monthly_term():
    assert notice_window(california(), dt.date(2027, 2, 1), dt.date(2027, 2, 28)) is None


def test_california_counts_a_13_month_term():
    window = notice_window(california(), dt.date(2026, 1, 31), dt.date(2027, 2, 28))
    assert window is not None and window.latest == dt.date(2027, 2, 13)


def test_france_counts_whole_months_back_from_the_refusal_deadline():
    # Term ends 31 May; with 30 days' notice the customer may refuse until 1 May.
    deadline = refusal_deadline_for(dt.date(2027, 5, 31), 30)
    assert deadline == dt.date(2027, 5, 1)
    window = notice_window(france(), dt.date(2026, 6, 1), dt.date(2027, 5, 31), deadline)
    assert window is not None
    assert (window.earliest, window.latest) == (dt.date(2027, 2, 1), dt.date(2027, 4, 1))


def test_france_months_clamp_at_month_ends():
    # Refusal deadline 31 May 2028: one month before is 30 April, three months 29 February.
    window = notice_window(
        france(), dt.date(2027, 6, 1), dt.date(2028, 5, 31), dt.date(2028, 5, 31)
    )
    assert window is not None
    assert (window.earliest, window.latest) == (dt.date(2028, 2, 29), dt.date(2028, 4, 30))


def test_france_without_a_refusal_deadline_counts_from_the_last_day():
    window = notice_window(france(), dt.date(2026, 4, 1), dt.date(2027, 3, 31))
    assert window is not None
    assert (window.earliest, window.latest) == (dt.date(2026, 12, 31), dt.date(2027, 2, 28))


def test_rule_sets_without_a_window_ask_for_no_notice():
    assert notice_window([germany(), eu()], dt.date(2026, 1, 1), dt.date(2026, 12, 31)) is None
    assert notice_window(Rules(), dt.date(2026, 1, 1), dt.date(2026, 12, 31)) is None


def test_two_windows_intersect():
    window = notice_window(
        combine([china(), california()]), dt.date(2026, 1, 1), dt.date(2026, 12, 31)
    )
    assert window is not None
    assert (window.earliest, window.latest) == (dt.date(2026, 11, 16), dt.date(2026, 12, 16))
    assert window.sources == ("CN v1", "US-CA v2")


def test_windows_that_do_not_meet_are_empty():
    late = rs(CN, notice_unit="days", notice_min=1, notice_max=3)
    window = notice_window([late, california()], dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert window is not None and window.is_empty
    assert not window.contains(window.latest)


def test_price_change_window_and_threshold():
    window = price_change_window(california(), dt.date(2027, 3, 1))
    assert window is not None
    assert (window.earliest, window.latest) == (dt.date(2027, 1, 30), dt.date(2027, 2, 22))
    assert price_change_window(china(), dt.date(2027, 3, 1)) is None
    rules = combine([california()])
    assert price_change_needs_notice(rules, old=Decimal("100"), new=Decimal("100.01"))
    assert not price_change_needs_notice(rules, old=Decimal("100"), new=Decimal("100"))
    assert not price_change_needs_notice(combine([china()]), old=Decimal("1"), new=Decimal("9"))
    five = combine([rs(CN, price_change_threshold_percent=Decimal("5"))])
    assert not price_change_needs_notice(five, old=Decimal("100"), new=Decimal("105"))
    assert price_change_needs_notice(five, old=Decimal("100"), new=Decimal("105.01"))
    assert price_change_needs_notice(five, old=Decimal("0"), new=Decimal("1"))


# --- combining ---------------------------------------------------------------------------


def test_combine_takes_the_strictest_value_and_says_where_it_comes_from():
    other = rs(
        FR,
        2,
        open_ended_notice_months=3,
        withdrawal_days=30,
        consent_retention_years=5,
        delivered_notice_channels=["email_accepted", "portal_read"],
    )
    rules = combine([germany(), eu(), other, california()])
    assert rules.renew_into_open_ended and rules.requires_cancel_button
    assert rules.requires_withdrawal_function
    assert rules.open_ended_notice_months == 1
    assert rules.withdrawal_days == 30
    assert rules.consent_retention_years == 5
    assert rules.price_change_threshold_percent == Decimal("0")
    assert rules.delivered_notice_channels == frozenset({"email_accepted", "portal_read"})
    assert rules.reasons["open_ended_notice_months"] == "DE v2"
    assert rules.reasons["withdrawal_days"] == "FR v2"
    assert rules.reasons["delivered_notice_channels"] == "FR v2"
    assert rules.labels == ["DE v2", "EU v2", "FR v2", "US-CA v2"]
    assert "withdrawal_days = 30 (from FR v2)" in rules.explain()


def test_combining_nothing_requires_nothing():
    rules = combine([])
    assert rules == Rules(rulesets=())
    assert rules.delivered_notice_channels == frozenset(
        {"email_accepted", "sms_receipt", "portal_read"}
    )
    assert rules.explain() == []


def test_proofs_no_rule_set_shares_leave_none():
    a = rs(CN, delivered_notice_channels=["email_accepted"])
    b = rs(FR, delivered_notice_channels=["portal_read"])
    assert combine([a, b]).delivered_notice_channels == frozenset()


def test_in_force_on_reads_dates_and_commencement():
    ruleset = rs(CN, effective_from=dt.date(2026, 1, 1), effective_to=dt.date(2026, 12, 31))
    assert not ruleset.in_force_on(dt.date(2025, 12, 31))
    assert ruleset.in_force_on(dt.date(2026, 1, 1))
    assert ruleset.in_force_on(dt.date(2026, 12, 31))
    assert not ruleset.in_force_on(dt.date(2027, 1, 1))
    later = rs(CN, effective_from=dt.date(2024, 5, 24), commencement_date=dt.date(2027, 4, 6))
    assert not later.in_force_on(dt.date(2027, 4, 5)) and later.in_force_on(dt.date(2027, 4, 6))
    waiting = rs(CN, effective_from=dt.date(2024, 5, 24), awaiting_commencement=True)
    assert not waiting.in_force_on(dt.date(2099, 1, 1))


# --- properties over dates ---------------------------------------------------------------

starts = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2090, 12, 31))
term_lengths = st.sampled_from([1, 12, 13])


@given(start=starts, months=term_lengths)
def test_china_latest_day_is_always_five_days_before_the_end(start, months):
    end = term_last_day(start, months)
    window = notice_window(china(), start, end)
    assert window is not None
    assert (end - window.latest).days == 5
    assert window.earliest is None


@given(start=starts, months=term_lengths)
def test_california_window_is_31_days_wide_when_it_applies(start, months):
    end = term_last_day(start, months)
    window = notice_window(california(), start, end)
    if months < 12:
        assert window is None
        return
    assert window is not None
    assert (end - window.latest).days == 15
    assert (end - window.earliest).days == 45
    assert (window.latest - window.earliest).days == 30


@given(start=starts, months=term_lengths, notice_days=st.integers(min_value=0, max_value=90))
def test_france_window_is_between_one_and_three_calendar_months(start, months, notice_days):
    end = term_last_day(start, months)
    deadline = refusal_deadline_for(end, notice_days)
    window = notice_window(france(), start, end, deadline)
    assert window is not None and window.earliest is not None
    assert window.latest == months_shift(deadline, -1)
    assert window.earliest == months_shift(deadline, -3)
    # A calendar month is 28 to 31 days: the window spans 59 to 62 days.
    assert 28 <= (deadline - window.latest).days <= 31
    assert 89 <= (deadline - window.earliest).days <= 92
    assert window.contains(window.earliest) and window.contains(window.latest)
    assert not window.contains(window.latest + dt.timedelta(days=1))
    assert not window.contains(window.earliest - dt.timedelta(days=1))


@given(start=starts, months=term_lengths)
def test_combined_window_lies_inside_each_rule_set_window(start, months):
    end = term_last_day(start, months)
    both = notice_window([china(), california()], start, end)
    alone = notice_window(china(), start, end)
    assert both is not None and alone is not None
    assert both.latest <= alone.latest
    ca = notice_window(california(), start, end)
    if ca is not None:
        assert both.latest <= ca.latest and both.earliest == ca.earliest


@pytest.mark.parametrize("year", [2027, 2028])
def test_windows_around_february_ends(year):
    # A term ending on the last day of February, leap year or not.
    end = dt.date(year, 3, 1) - dt.timedelta(days=1)
    window = notice_window(france(), dt.date(year - 1, 3, 1), end, end)
    assert window is not None
    assert window.latest == dt.date(year, 1, 28 if year == 2027 else 29)
    assert window.earliest == dt.date(year - 1, 11, 28 if year == 2027 else 29)
