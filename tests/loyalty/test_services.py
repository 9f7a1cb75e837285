"""The points ledger: earning once per occasion, expiry first in first out at month ends
and leap days, redemptions and adjustments that never overdraw, levels."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from core.errors import DomainError
from loyalty import selectors, services
from loyalty.models import EarnRule, EntryKind, PointsEntry, Trigger

pytestmark = pytest.mark.django_db

D = dt.date


def _earn(customer, points, on, subject, months=12):
    rule, _ = EarnRule.objects.get_or_create(
        code=f"manual-{points}-{months}",
        defaults={
            "name": "手工",
            "trigger": Trigger.TENURE,
            "points": points,
            "expiry_months": months,
            "is_active": False,
        },
    )
    return PointsEntry.objects.create(
        customer=customer,
        kind=EntryKind.EARN,
        points=points,
        rule=rule,
        dedupe_key=f"{rule.code}:{subject}",
        on=on,
        expires_on=services.expiry_date(rule=rule, on=on),
    )


def test_an_occasion_earns_once_per_rule_however_often_it_is_told(customer, rules):
    first = services.points_earn(
        customer=customer, trigger=Trigger.RENEWAL, subject="contract:1", on=D(2026, 5, 1)
    )
    again = services.points_earn(
        customer=customer, trigger=Trigger.RENEWAL, subject="contract:1", on=D(2026, 5, 2)
    )
    assert [e.points for e in first] == [500]
    assert again == []
    assert selectors.points_balance(customer=customer) == 500


def test_a_rule_per_amount_earns_per_whole_unit_and_nothing_below_one(customer, rules):
    rule = rules[Trigger.ON_TIME_PAYMENT]
    assert services.rule_points(rule=rule, amount=Decimal("12345.67")) == 123
    assert services.rule_points(rule=rule, amount=Decimal("99.99")) == 0
    assert services.rule_points(rule=rules[Trigger.RENEWAL], amount=None) == 500


def test_inactive_rules_earn_nothing(customer, rules):
    EarnRule.objects.filter(trigger=Trigger.RENEWAL).update(is_active=False)
    assert (
        services.points_earn(
            customer=customer, trigger=Trigger.RENEWAL, subject="contract:9", on=D(2026, 1, 1)
        )
        == []
    )


@pytest.mark.parametrize(
    ("earned", "months", "expires"),
    [
        (D(2026, 1, 31), 1, D(2026, 2, 28)),
        (D(2027, 1, 31), 13, D(2028, 2, 29)),
        (D(2028, 2, 29), 12, D(2029, 2, 28)),
        (D(2028, 2, 29), 48, D(2032, 2, 29)),
        (D(2026, 12, 31), 2, D(2027, 2, 28)),
        (D(2026, 8, 31), 1, D(2026, 9, 30)),
    ],
)
def test_points_expire_whole_months_later_clamped_to_the_month_end(earned, months, expires):
    rule = EarnRule(code="x", trigger=Trigger.RENEWAL, points=1, expiry_months=months)
    assert services.expiry_date(rule=rule, on=earned) == expires


def test_a_rule_without_expiry_months_never_expires():
    rule = EarnRule(code="x", trigger=Trigger.REFERRAL, points=1, expiry_months=0)
    assert services.expiry_date(rule=rule, on=D(2026, 1, 1)) is None


def test_expiry_takes_what_redemptions_left_of_the_oldest_points_first(customer):
    # given 100 points expiring 2027-02-28 and 50 expiring 2027-08-31, 120 redeemed
    _earn(customer, 100, D(2026, 2, 28), "a")
    _earn(customer, 50, D(2026, 8, 31), "b")
    PointsEntry.objects.create(customer=customer, kind="redeem", points=-120, on=D(2026, 9, 1))
    # the day before: nothing is due
    assert services.points_expire(customer=customer, on=D(2027, 2, 27)) is None
    # on the expiry day the first lot is used up by the redemption: nothing expires
    assert services.points_expire(customer=customer, on=D(2027, 2, 28)) is None
    # the second lot had 30 left
    entry = services.points_expire(customer=customer, on=D(2027, 8, 31))
    assert entry is not None and entry.points == -30
    assert services.points_expire(customer=customer, on=D(2027, 8, 31)) is None
    assert selectors.points_balance(customer=customer) == 0


def test_points_due_to_expire_are_not_available_before_the_sweep_writes_them(customer):
    # earned 28 Feb 2027: gone on 28 Feb 2028 (not the leap day after it)
    _earn(customer, 100, D(2027, 2, 28), "a", months=12)
    assert selectors.points_available(customer=customer, on=D(2028, 2, 27)) == 100
    assert selectors.points_available(customer=customer, on=D(2028, 2, 28)) == 0
    assert selectors.points_balance(customer=customer) == 100


def test_points_expiring_soon_counts_only_the_window(customer):
    _earn(customer, 70, D(2026, 3, 31), "a", months=12)  # expires 2027-03-31
    _earn(customer, 30, D(2026, 12, 31), "b", months=12)  # expires 2027-12-31
    expiring, until = selectors.points_expiring(customer=customer, on=D(2027, 1, 1))
    assert (expiring, until) == (70, D(2027, 4, 1))


def test_a_redemption_cannot_spend_more_than_is_available(customer, discount_reward):
    _earn(customer, 399, D(2026, 6, 1), "a")
    with pytest.raises(DomainError):
        services.reward_redeem(customer=customer, reward=discount_reward, on=D(2026, 6, 2))
    assert PointsEntry.objects.filter(kind="redeem").count() == 0


def test_a_redemption_is_a_negative_ledger_row_with_its_reward(customer, discount_reward):
    _earn(customer, 450, D(2026, 6, 1), "a")
    redemption = services.reward_redeem(customer=customer, reward=discount_reward, on=D(2026, 6, 2))
    assert redemption.entry.points == -400
    assert redemption.discount_percent == Decimal("2")
    assert selectors.points_balance(customer=customer) == 50


def test_an_inactive_reward_cannot_be_redeemed(customer, discount_reward):
    _earn(customer, 450, D(2026, 6, 1), "a")
    discount_reward.is_active = False
    discount_reward.save()
    with pytest.raises(DomainError):
        services.reward_redeem(customer=customer, reward=discount_reward, on=D(2026, 6, 2))


def test_staff_adjustments_need_a_reason_and_cannot_overdraw(customer, django_user_model):
    staff = django_user_model.objects.create_user("ops", is_staff=True)
    with pytest.raises(DomainError):
        services.points_adjust(customer=customer, points=10, reason=" ", by=staff, on=D(2026, 1, 1))
    with pytest.raises(DomainError):
        services.points_adjust(
            customer=customer, points=-1, reason="typo", by=staff, on=D(2026, 1, 1)
        )
    entry = services.points_adjust(
        customer=customer, points=25, reason="Goodwill after outage", by=staff, on=D(2026, 1, 1)
    )
    assert (entry.kind, entry.points, entry.actor, entry.reason) == (
        "adjust",
        25,
        staff,
        "Goodwill after outage",
    )


def test_the_level_follows_points_earned_in_the_last_twelve_months(customer, levels):
    _earn(customer, 600, D(2026, 3, 1), "a")
    _earn(customer, 500, D(2026, 9, 1), "b")
    assert selectors.member_level(customer=customer, on=D(2027, 2, 28)) == levels["gold"]
    # 2026-03-01 leaves the window on 2027-03-01
    assert selectors.member_level(customer=customer, on=D(2027, 3, 1)) == levels["silver"]
    assert selectors.member_level(customer=customer, on=D(2027, 9, 1)) is None


def test_spending_points_does_not_lower_the_level(customer, levels, discount_reward):
    _earn(customer, 1000, D(2026, 3, 1), "a")
    services.reward_redeem(customer=customer, reward=discount_reward, on=D(2026, 3, 2))
    summary = selectors.member_summary(customer=customer, on=D(2026, 3, 2))
    assert summary.level == levels["gold"]
    assert (summary.balance, summary.available, summary.qualifying) == (600, 600, 1000)
    assert summary.next_level is None


@pytest.mark.parametrize(
    ("since", "on", "years"),
    [
        (D(2024, 2, 29), D(2025, 2, 27), 0),
        (D(2024, 2, 29), D(2025, 2, 28), 1),
        (D(2024, 2, 29), D(2028, 2, 28), 3),
        (D(2024, 2, 29), D(2028, 2, 29), 4),
        (D(2025, 12, 31), D(2026, 12, 30), 0),
        (D(2025, 12, 31), D(2026, 12, 31), 1),
        (D(2026, 1, 1), D(2026, 1, 1), 0),
    ],
)
def test_tenure_years_count_whole_years_with_leap_days_on_28_february(since, on, years):
    assert services.tenure_years(since=since, on=on) == years


def test_tenure_earns_once_per_year_dated_on_the_anniversary(customer, rules):
    first = services.points_on_tenure(customer=customer, since=D(2024, 2, 29), on=D(2025, 3, 2))
    again = services.points_on_tenure(customer=customer, since=D(2024, 2, 29), on=D(2025, 3, 3))
    assert [(e.points, e.on) for e in first] == [(200, D(2025, 2, 28))]
    assert again == []
