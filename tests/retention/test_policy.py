"""The pure cancellation arithmetic: hand-computed tables, then properties (hypothesis)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.models import FeeKind, RefundPolicy
from retention import policy
from retention.policy import ContractTerms, settlement_compute

D = Decimal


def terms(**kw) -> ContractTerms:
    base = dict(
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 12, 31),
        total_amount=D("3650.00"),
        billing_period="monthly",
        notice_days=30,
        fee_kind="none",
        fee_value=D("0"),
        refund_policy="pro_rata",
    )
    base.update(kw)
    return ContractTerms(**base)


# --- tables --------------------------------------------------------------------------------


def test_its_fee_and_refund_codes_match_the_contract_model():
    assert {
        policy.FEE_NONE,
        policy.FEE_FIXED,
        policy.FEE_PERCENT_REMAINING,
        policy.FEE_PERIODS,
    } == set(FeeKind.values)
    assert {policy.REFUND_NONE, policy.REFUND_PRO_RATA} == set(RefundPolicy.values)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)),
        (dt.date(2024, 1, 31), 1, dt.date(2024, 2, 29)),
        (dt.date(2024, 2, 29), 12, dt.date(2025, 2, 28)),
        (dt.date(2026, 3, 31), -1, dt.date(2026, 2, 28)),
        (dt.date(2026, 11, 30), 3, dt.date(2027, 2, 28)),
        (dt.date(2026, 5, 15), -12, dt.date(2025, 5, 15)),
    ],
)
def test_it_adds_months_clamping_to_the_month_end(day, months, expected):
    assert policy.add_months(day, months) == expected


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (dt.date(2026, 1, 1), dt.date(2026, 12, 31), 12),
        (dt.date(2024, 2, 29), dt.date(2025, 2, 27), 12),
        (dt.date(2026, 1, 31), dt.date(2026, 2, 27), 1),
        (dt.date(2026, 3, 1), dt.date(2026, 5, 31), 3),
        (dt.date(2026, 1, 1), dt.date(2026, 1, 5), 1),
        (dt.date(2026, 1, 15), dt.date(2027, 1, 14), 12),
    ],
)
def test_it_counts_months_in_a_term(start, end, months):
    assert policy.months_in_term(start, end) == months


@pytest.mark.parametrize(
    ("today", "notice", "end", "expected"),
    [
        (dt.date(2026, 3, 10), 30, dt.date(2026, 12, 31), dt.date(2026, 4, 9)),
        # Over a month end and into a leap day.
        (dt.date(2024, 1, 30), 30, dt.date(2024, 12, 31), dt.date(2024, 2, 29)),
        # Immediate: notice 0 takes effect today.
        (dt.date(2026, 3, 10), 0, dt.date(2026, 12, 31), dt.date(2026, 3, 10)),
        # On the last day of the term with no notice: today is still possible.
        (dt.date(2026, 12, 31), 0, dt.date(2026, 12, 31), dt.date(2026, 12, 31)),
        # Notice running past the end: early termination is not possible.
        (dt.date(2026, 12, 31), 1, dt.date(2026, 12, 31), None),
        (dt.date(2026, 12, 10), 30, dt.date(2026, 12, 31), None),
    ],
)
def test_it_finds_the_earliest_early_termination_date(today, notice, end, expected):
    got = policy.earliest_effective_date(
        kind=policy.EARLY_TERMINATION, today=today, notice_days=notice, term_end=end
    )
    assert got == expected


def test_a_non_renewal_takes_effect_the_day_after_the_term():
    got = policy.earliest_effective_date(
        kind=policy.NON_RENEWAL,
        today=dt.date(2026, 12, 31),
        notice_days=30,
        term_end=dt.date(2026, 12, 31),
    )
    assert got == dt.date(2027, 1, 1)


def test_nothing_can_be_cancelled_after_the_term_ended():
    for kind in (policy.NON_RENEWAL, policy.EARLY_TERMINATION):
        assert (
            policy.earliest_effective_date(
                kind=kind,
                today=dt.date(2027, 1, 1),
                notice_days=0,
                term_end=dt.date(2026, 12, 31),
            )
            is None
        )


def test_it_computes_a_percent_fee_and_pro_rata_refund_by_hand():
    # 365-day term at 10.00 a day; effective 2026-04-09 → used 1 Jan..8 Apr = 98 days.
    s = settlement_compute(
        kind=policy.EARLY_TERMINATION,
        terms=terms(fee_kind="percent_remaining", fee_value=D("20")),
        today=dt.date(2026, 3, 10),
        paid=D("3650.00"),
    )
    assert s.effective_date == dt.date(2026, 4, 9)
    assert s.last_service_day == dt.date(2026, 4, 8)
    assert s.used_value == D("980.00")
    assert s.remaining_value == D("2670.00")
    assert s.fee == D("534.00")  # 20 % of 2670
    assert s.refund == D("2136.00")  # 2670 unused − 534 fee
    assert s.fee_to_invoice == D("0.00")  # settled out of the prepayment


def test_it_computes_a_fixed_fee_capped_by_the_remaining_value():
    s = settlement_compute(
        kind=policy.EARLY_TERMINATION,
        terms=terms(fee_kind="fixed", fee_value=D("5000"), notice_days=0),
        today=dt.date(2026, 12, 30),
        paid=D("3650.00"),
    )
    # Two days left (30 and 31 Dec) = 20.00: a 5000 fee is capped at 20.00.
    assert s.remaining_value == D("20.00")
    assert s.fee == D("20.00")
    assert s.refund == D("0.00")


def test_it_computes_n_periods_of_fee():
    # 12 monthly periods of 3650/12 = 304.17; 2 periods = 608.34.
    s = settlement_compute(
        kind=policy.EARLY_TERMINATION,
        terms=terms(fee_kind="periods", fee_value=D("2")),
        today=dt.date(2026, 3, 10),
        paid=D("3650.00"),
    )
    assert s.fee == D("608.34")
    assert s.refund == D("2670.00") - D("608.34")


def test_it_charges_quarterly_periods_by_the_quarter():
    s = settlement_compute(
        kind=policy.EARLY_TERMINATION,
        terms=terms(fee_kind="periods", fee_value=D("1"), billing_period="quarterly"),
        today=dt.date(2026, 3, 10),
        paid=D("3650.00"),
    )
    assert s.fee == D("912.50")  # 3650 / 4 quarters


def test_it_refunds_nothing_without_a_refund_policy_and_invoices_the_whole_fee():
    s = settlement_compute(
        kind=policy.EARLY_TERMINATION,
        terms=terms(fee_kind="fixed", fee_value=D("100"), refund_policy="none"),
        today=dt.date(2026, 3, 10),
        paid=D("3650.00"),
    )
    assert s.refund == D("0.00")
    assert s.fee_to_invoice == D("100.00")


def test_it_handles_installments_partly_paid():
    # Four installments of 912.50, one paid; effective 2026-07-01 (181 days used).
    s = settlement_compute(
        kind=policy.EARLY_TERMINATION,
        terms=terms(fee_kind="fixed", fee_value=D("300"), notice_days=0),
        today=dt.date(2026, 7, 1),
        paid=D("912.50"),
    )
    assert s.used_value == D("1810.00")
    assert s.unused_prepaid == D("0.00")
    assert s.refund == D("0.00")
    assert s.owed_for_used_service == D("897.50")
    assert s.fee_to_invoice == D("300.00")


def test_it_refunds_the_unused_part_of_three_paid_installments_minus_the_fee():
    s = settlement_compute(
        kind=policy.EARLY_TERMINATION,
        terms=terms(fee_kind="fixed", fee_value=D("300"), notice_days=0),
        today=dt.date(2026, 7, 1),
        paid=D("2737.50"),
    )
    # Unused prepaid: 2737.50 − 1810.00 = 927.50; minus the 300 fee = 627.50.
    assert s.refund == D("627.50")
    assert s.fee_to_invoice == D("0.00")


def test_it_values_a_leap_year_term_by_its_366_days():
    s = settlement_compute(
        kind=policy.EARLY_TERMINATION,
        terms=terms(
            start_date=dt.date(2024, 1, 1),
            end_date=dt.date(2024, 12, 31),
            total_amount=D("3660.00"),
            notice_days=0,
        ),
        today=dt.date(2024, 3, 1),
        paid=D("3660.00"),
    )
    # 31 + 29 = 60 days used at 10.00 a day.
    assert s.used_value == D("600.00")
    assert s.refund == D("3060.00")


def test_a_termination_on_the_last_day_of_the_term_leaves_one_day():
    s = settlement_compute(
        kind=policy.EARLY_TERMINATION,
        terms=terms(fee_kind="percent_remaining", fee_value=D("100"), notice_days=0),
        today=dt.date(2026, 12, 31),
        paid=D("3650.00"),
    )
    assert s.remaining_value == D("10.00")
    assert s.fee == D("10.00")
    assert s.refund == D("0.00")


def test_a_non_renewal_costs_nothing_and_refunds_nothing():
    s = settlement_compute(
        kind=policy.NON_RENEWAL,
        terms=terms(fee_kind="fixed", fee_value=D("999")),
        today=dt.date(2026, 3, 10),
        paid=D("3650.00"),
    )
    assert (s.fee, s.refund, s.fee_to_invoice) == (D("0.00"), D("0.00"), D("0.00"))
    assert s.effective_date == dt.date(2027, 1, 1)


def test_staff_may_fix_a_later_effective_date_within_the_term_but_not_an_earlier_one():
    t = terms()
    today = dt.date(2026, 3, 10)
    later = settlement_compute(
        kind=policy.EARLY_TERMINATION,
        terms=t,
        today=today,
        paid=D("3650"),
        effective_date=dt.date(2026, 6, 1),
    )
    assert later.effective_date == dt.date(2026, 6, 1)
    with pytest.raises(ValueError):
        settlement_compute(
            kind=policy.EARLY_TERMINATION,
            terms=t,
            today=today,
            paid=D("3650"),
            effective_date=dt.date(2026, 4, 8),
        )
    with pytest.raises(ValueError):
        settlement_compute(
            kind=policy.EARLY_TERMINATION,
            terms=t,
            today=today,
            paid=D("3650"),
            effective_date=dt.date(2027, 1, 1),
        )


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (dt.datetime(2026, 3, 10, 10, 0), dt.datetime(2026, 3, 12, 10, 0)),  # Tue → Thu
        (dt.datetime(2026, 3, 13, 10, 0), dt.datetime(2026, 3, 17, 10, 0)),  # Fri → Tue
        (dt.datetime(2026, 3, 14, 10, 0), dt.datetime(2026, 3, 17, 10, 0)),  # Sat → Tue
    ],
)
def test_it_counts_the_sla_in_business_days(start, expected):
    assert policy.business_days_add(start, 2) == expected


def test_it_skips_holidays_in_the_sla():
    holidays = frozenset({dt.date(2026, 3, 11)})
    got = policy.business_days_add(dt.datetime(2026, 3, 10, 9), 2, holidays=holidays)
    assert got == dt.datetime(2026, 3, 13, 9)


# --- properties ------------------------------------------------------------------------------

dates = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2032, 12, 31))
money = st.decimals(min_value=D("0"), max_value=D("1000000"), places=2, allow_nan=False)


@st.composite
def contracts(draw):
    start = draw(dates)
    length = draw(st.integers(min_value=0, max_value=3 * 366))
    end = start + dt.timedelta(days=length)
    total = draw(money)
    fee_kind = draw(st.sampled_from(list(FeeKind.values)))
    fee_value = draw(
        st.decimals(min_value=D("0"), max_value=D("100000"), places=2, allow_nan=False)
    )
    t = ContractTerms(
        start_date=start,
        end_date=end,
        total_amount=total,
        billing_period=draw(st.sampled_from(["monthly", "quarterly", "annual"])),
        notice_days=draw(st.integers(min_value=0, max_value=120)),
        fee_kind=fee_kind,
        fee_value=fee_value,
        refund_policy=draw(st.sampled_from(list(RefundPolicy.values))),
    )
    today = start + dt.timedelta(days=draw(st.integers(min_value=0, max_value=length)))
    paid = draw(st.decimals(min_value=D("0"), max_value=total, places=2, allow_nan=False))
    return t, today, paid


@settings(max_examples=400, deadline=None)
@given(contracts())
def test_property_refund_is_between_zero_and_what_was_paid(case):
    t, today, paid = case
    s = settlement_compute(kind=policy.EARLY_TERMINATION, terms=t, today=today, paid=paid)
    if s is None:
        return
    assert D("0") <= s.refund <= paid


@settings(max_examples=400, deadline=None)
@given(contracts())
def test_property_fee_is_between_zero_and_the_remaining_value(case):
    t, today, paid = case
    s = settlement_compute(kind=policy.EARLY_TERMINATION, terms=t, today=today, paid=paid)
    if s is None:
        return
    assert D("0") <= s.fee <= s.remaining_value
    assert s.used_value + s.remaining_value == policy.to_money(t.total_amount)
    assert D("0") <= s.fee_to_invoice <= s.fee


@settings(max_examples=400, deadline=None)
@given(contracts())
def test_property_effective_date_is_never_before_today_plus_notice(case):
    t, today, paid = case
    s = settlement_compute(kind=policy.EARLY_TERMINATION, terms=t, today=today, paid=paid)
    if s is None:
        # Not possible only when the notice runs past the term's last day.
        assert today + dt.timedelta(days=t.notice_days) > t.end_date
        return
    assert s.effective_date >= today + dt.timedelta(days=t.notice_days)
    assert s.effective_date <= t.end_date
    if t.notice_days == 0:
        assert s.effective_date == today  # immediate


@settings(max_examples=300, deadline=None)
@given(contracts(), st.integers(min_value=0, max_value=400))
def test_property_a_later_effective_date_never_raises_the_fee(case, shift):
    t, today, paid = case
    early = settlement_compute(kind=policy.EARLY_TERMINATION, terms=t, today=today, paid=paid)
    if early is None:
        return
    later_date = min(early.effective_date + dt.timedelta(days=shift), t.end_date)
    later = settlement_compute(
        kind=policy.EARLY_TERMINATION, terms=t, today=today, paid=paid, effective_date=later_date
    )
    assert later.remaining_value <= early.remaining_value
    assert later.fee <= early.fee


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(
        [
            # Month ends and leap days as "today".
            dt.date(2024, 2, 28),
            dt.date(2024, 2, 29),
            dt.date(2024, 3, 1),
            dt.date(2025, 2, 28),
            dt.date(2025, 3, 1),
            dt.date(2026, 1, 31),
            dt.date(2026, 4, 30),
            dt.date(2026, 12, 31),
            dt.date(2028, 2, 29),
        ]
    ),
    st.integers(min_value=0, max_value=90),
    money,
)
def test_property_results_are_stable_across_month_ends_and_leap_years(today, notice, total):
    # A one-year term starting on the 1st of today's month (clamped), of any price.
    start = today.replace(day=1)
    end = policy.add_months(start, 12) - dt.timedelta(days=1)
    t = terms(
        start_date=start,
        end_date=end,
        total_amount=total,
        notice_days=notice,
        fee_kind="percent_remaining",
        fee_value=D("10"),
    )
    s = settlement_compute(kind=policy.EARLY_TERMINATION, terms=t, today=today, paid=total)
    assert s is not None
    # Day-based valuation: remaining = total × remaining days / term days, to the cent.
    days = (end - start).days + 1
    remaining_days = (end - s.effective_date).days + 1
    expected = policy.to_money(total * D(remaining_days) / D(days))
    assert s.remaining_value == expected
    assert s.refund == policy.to_money(expected - s.fee)
    # The same computation twice gives the same answer (no hidden state).
    assert settlement_compute(kind=policy.EARLY_TERMINATION, terms=t, today=today, paid=total) == s
