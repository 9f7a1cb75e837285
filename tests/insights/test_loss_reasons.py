"""The loss analysis (insights/loss_reasons.py) and the feedback summary
(insights/feedback_summary.py): every date is explicit, the window's edges are tested at a
leap day, a non-leap February's end and a year end, in the business time zone."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from core.money import MoneyTotals
from insights.feedback_summary import feedback_tables
from insights.loss_reasons import (
    CANCELLATION,
    RENEWAL,
    LossFilters,
    loss_facts,
    loss_tables,
    month_starts,
    propensity_factors,
    window,
)
from insights.models import ContractScore, Feedback, FeedbackStatus, ScoreMethod
from renewals.models import LossReason, RenewalCase, Stage
from retention.models import CancellationRequest, Kind, Reason
from retention.models import Status as RequestStatus
from tests.factories import ContractFactory, CustomerFactory, StaffFactory

SH = ZoneInfo("Asia/Shanghai")
LEAP_DAY = dt.date(2028, 2, 29)

pytestmark = pytest.mark.django_db


def at(y, m, d, hh=12, mm=0):
    return dt.datetime(y, m, d, hh, mm, tzinfo=SH)


def lost_case(customer, when, reason, *, value="1000", currency="CNY"):
    contract = ContractFactory(
        customer=customer,
        end_date=when.date(),
        status="expired",
        annual_value=Decimal(value),
        currency=currency,
    )
    return RenewalCase.objects.create(
        contract=contract,
        owner=customer.account_manager,
        stage=Stage.LOST,
        opened_at=when - dt.timedelta(days=60),
        closed_at=when,
        loss_reason=reason,
    )


def cancellation(customer, when, reason, *, status=RequestStatus.CONFIRMED, contract=None):
    contract = contract or ContractFactory(
        customer=customer, end_date=when.date() + dt.timedelta(days=90), annual_value=500
    )
    return CancellationRequest.objects.create(
        contract=contract,
        customer=customer,
        kind=Kind.NON_RENEWAL,
        reason=reason,
        status=status,
        submitted_at=when - dt.timedelta(days=3),
        sla_due_at=when,
        confirmed_at=when if status in (RequestStatus.CONFIRMED, RequestStatus.COMPLETED) else None,
    )


def table(tables, key):
    return next(t for t in tables if t.key == key)


def row(t, label):
    return next(r for r in t.rows if str(r[0]) == label)


@pytest.mark.parametrize(
    ("as_of", "first", "last"),
    [
        (LEAP_DAY, dt.date(2027, 3, 1), dt.date(2028, 2, 1)),
        (dt.date(2027, 2, 28), dt.date(2026, 3, 1), dt.date(2027, 2, 1)),
        (dt.date(2028, 12, 31), dt.date(2028, 1, 1), dt.date(2028, 12, 1)),
        (dt.date(2027, 1, 31), dt.date(2026, 2, 1), dt.date(2027, 1, 1)),
    ],
)
def test_the_window_is_the_twelve_months_ending_with_the_month_of_as_of(as_of, first, last):
    months = month_starts(as_of)

    assert len(months) == 12 and len(set(months)) == 12
    assert (months[0], months[-1]) == (first, last)
    start, end = window(as_of)
    assert start == dt.datetime.combine(first, dt.time.min, tzinfo=timezone.get_current_timezone())
    assert end.date() == as_of + dt.timedelta(days=1)


def test_losses_at_the_edges_of_the_window_count_in_the_business_time_zone(team_lead):
    customer = CustomerFactory()
    lost_case(customer, at(2028, 2, 29, 23, 30), LossReason.PRICE)  # last evening: in
    lost_case(customer, at(2028, 3, 1, 0, 10), LossReason.PRICE)  # the day after: out
    lost_case(customer, at(2027, 3, 1, 0, 0), LossReason.BUDGET)  # first midnight: in
    lost_case(customer, at(2027, 2, 28, 23, 59), LossReason.BUDGET)  # the day before: out

    facts = loss_facts(user=team_lead, filters=LossFilters(as_of=LEAP_DAY))
    months = table(loss_tables(facts, as_of=LEAP_DAY), "months")

    assert sorted((f.month, f.reason, f.count) for f in facts) == [
        (dt.date(2027, 3, 1), Reason.BUDGET, 1),
        (dt.date(2028, 2, 1), Reason.PRICE, 1),
    ]
    # 23:30 in Shanghai on the 29th is 15:30 UTC: still February here.
    assert row(months, "2028-02")[1] == 1
    assert row(months, "2027-03")[1] == 1
    assert sum(r[5] for r in months.rows) == 2


def test_lost_renewals_and_cancellations_are_counted_together_and_apart(team_lead):
    customer = CustomerFactory(tier="A")
    lost_case(customer, at(2028, 1, 10), LossReason.PRICE, value="1200")
    lost_case(customer, at(2028, 1, 11), LossReason.SERVICE, value="800")
    lost_case(customer, at(2028, 2, 1), LossReason.NO_RESPONSE, value="300")
    cancellation(customer, at(2028, 1, 20), Reason.PRICE)
    cancellation(customer, at(2028, 1, 21), Reason.SERVICE_QUALITY)
    # Not losses: withdrawn, or kept by an offer.
    cancellation(customer, at(2028, 1, 22), Reason.PRICE, status=RequestStatus.WITHDRAWN)
    cancellation(customer, at(2028, 1, 23), Reason.PRICE, status=RequestStatus.RETAINED)

    tables = loss_tables(
        loss_facts(user=team_lead, filters=LossFilters(as_of=LEAP_DAY)), as_of=LEAP_DAY
    )
    reasons = table(tables, "reasons")

    price = row(reasons, "Price")
    assert price[1:6:2] == [1, 1, 2]  # renewals, cancellations, total
    assert price[2] == MoneyTotals.of([("CNY", Decimal("1200"))])
    assert price[6] == MoneyTotals.of([("CNY", Decimal("1700"))])
    # The renewal's "unhappy with the service" is the cancellation's "service quality".
    assert row(reasons, "Service quality")[1:6:2] == [1, 1, 2]
    assert row(reasons, "No response")[1:6:2] == [1, 0, 1]
    assert row(reasons, "Total")[1:6:2] == [3, 2, 5]
    assert row(table(tables, "tiers"), "A")[5] == 5

    only = loss_facts(user=team_lead, filters=LossFilters(as_of=LEAP_DAY, source=CANCELLATION))
    assert {f.source for f in only} == {CANCELLATION}
    assert sum(f.count for f in only) == 2
    trend = table(loss_tables(only, as_of=LEAP_DAY), "trend")
    assert row(trend, "2028-01")[1] == 1  # price, cancellations only


def test_a_renewal_lost_to_a_confirmed_cancellation_counts_once_as_the_cancellation(team_lead):
    customer = CustomerFactory()
    case = lost_case(customer, at(2028, 2, 10), LossReason.COMPETITOR)
    cancellation(customer, at(2028, 2, 9), Reason.COMPETITOR, contract=case.contract)

    facts = loss_facts(user=team_lead, filters=LossFilters(as_of=LEAP_DAY))

    assert [(f.source, f.reason, f.count) for f in facts] == [(CANCELLATION, Reason.COMPETITOR, 1)]


def test_values_are_summed_per_currency_never_across(team_lead):
    customer = CustomerFactory()
    lost_case(customer, at(2028, 2, 1), LossReason.BUDGET, value="1000.50", currency="CNY")
    lost_case(customer, at(2028, 2, 2), LossReason.BUDGET, value="99.25", currency="USD")

    tables = loss_tables(
        loss_facts(user=team_lead, filters=LossFilters(as_of=LEAP_DAY)), as_of=LEAP_DAY
    )

    value = row(table(tables, "reasons"), "Budget")[6]
    assert value.amounts == {"CNY": Decimal("1000.50"), "USD": Decimal("99.25")}
    assert all(isinstance(a, Decimal) for a in value.amounts.values())


def test_a_manager_sees_their_own_book_and_a_team_lead_filters_by_manager(team_lead):
    alice, bob = StaffFactory(username="alice-l"), StaffFactory(username="bob-l")
    lost_case(CustomerFactory(account_manager=alice), at(2028, 2, 3), LossReason.PRICE)
    lost_case(CustomerFactory(account_manager=bob), at(2028, 2, 4), LossReason.BUDGET)
    lost_case(CustomerFactory(account_manager=bob), at(2028, 2, 5), LossReason.BUDGET)

    mine = loss_facts(user=alice, filters=LossFilters(as_of=LEAP_DAY))
    everyone = loss_tables(
        loss_facts(user=team_lead, filters=LossFilters(as_of=LEAP_DAY)), as_of=LEAP_DAY
    )
    bobs = loss_facts(user=team_lead, filters=LossFilters(as_of=LEAP_DAY, manager_id=bob.pk))
    # A manager asking for another's book still gets only their own.
    asked = loss_facts(user=alice, filters=LossFilters(as_of=LEAP_DAY, manager_id=bob.pk))

    assert [(f.manager_id, f.reason) for f in mine] == [(alice.pk, Reason.PRICE)]
    managers = table(everyone, "managers")
    assert [(str(r[0]), r[5]) for r in managers.rows] == [
        (bob.get_full_name(), 2),
        (alice.get_full_name(), 1),
    ]
    assert {f.manager_id for f in bobs} == {bob.pk}
    assert asked == []


def test_the_propensity_factors_are_read_from_the_scores_in_the_same_book(manager):
    other = StaffFactory(username="carol-l")
    mine = ContractFactory(customer=CustomerFactory(account_manager=manager), end_date=LEAP_DAY)
    theirs = ContractFactory(customer=CustomerFactory(account_manager=other), end_date=LEAP_DAY)
    for contract, effect in ((mine, -8.0), (theirs, -30.0)):
        ContractScore.objects.create(
            contract=contract,
            score=40,
            value_at_risk=Decimal("10"),
            method=ScoreMethod.RULES,
            factors=[
                {"feature": "complaints", "effect": effect, "direction": "down"},
                {"feature": "auto_renew", "effect": 10.0, "direction": "up"},
            ],
        )

    factors = propensity_factors(user=manager, filters=LossFilters(as_of=LEAP_DAY))

    assert [[str(c) if i == 0 else c for i, c in enumerate(r)] for r in factors.rows] == [
        ["Auto-renewal on", 1, 0, Decimal("10.0")],
        ["Complaints in the last year", 1, 1, Decimal("-8.0")],
    ]


def _feedback(customer, created, category, *, status=FeedbackStatus.OPEN, resolved=None):
    item = Feedback.objects.create(
        customer=customer,
        category=category,
        subject="s",
        body="b",
        status=status,
        sla_due_at=created + dt.timedelta(days=1),
        resolved_at=resolved,
    )
    Feedback.objects.filter(pk=item.pk).update(created_at=created)
    return item


def test_feedback_is_summarised_by_category_with_its_monthly_trend(team_lead):
    customer = CustomerFactory()
    _feedback(customer, at(2028, 1, 31, 23, 0), "complaint")  # open, last evening of Jan
    _feedback(
        customer,
        at(2028, 2, 1, 9, 0),
        "complaint",
        status=FeedbackStatus.RESOLVED,
        resolved=at(2028, 2, 3, 21, 0),  # 2.5 days later
    )
    _feedback(
        customer,
        at(2028, 2, 29, 8, 0),
        "billing",
        status=FeedbackStatus.CLOSED,
        resolved=at(2028, 2, 29, 20, 0),  # half a day
    )
    _feedback(customer, at(2028, 3, 1, 8, 0), "billing")  # after as_of: out

    by_category, by_month = feedback_tables(user=team_lead, filters=LossFilters(as_of=LEAP_DAY))

    assert row(by_category, "Complaint")[1:] == [2, 1, 1, Decimal("2.5")]
    assert row(by_category, "Billing or payment")[1:] == [1, 0, 1, Decimal("0.5")]
    assert row(by_category, "Question")[1:] == [0, 0, 0, None]
    assert row(by_category, "Total")[1:] == [3, 1, 2, Decimal("1.5")]
    header = [str(c.label) for c in by_month.columns]
    jan, feb = row(by_month, "2028-01"), row(by_month, "2028-02")
    assert jan[header.index("Complaint")] == 1 and jan[header.index("Open")] == 1
    assert feb[header.index("Total")] == 2 and feb[header.index("Resolved")] == 2
    assert len(by_month.rows) == 12


def test_a_manager_only_summarises_feedback_of_their_own_book(manager):
    _feedback(CustomerFactory(account_manager=manager), at(2028, 2, 2), "question")
    _feedback(CustomerFactory(), at(2028, 2, 2), "question")

    by_category, _months = feedback_tables(user=manager, filters=LossFilters(as_of=LEAP_DAY))

    assert row(by_category, "Total")[1] == 1


def test_renewal_source_filter_leaves_cancellations_out(team_lead):
    customer = CustomerFactory()
    lost_case(customer, at(2028, 2, 1), LossReason.PRICE)
    cancellation(customer, at(2028, 2, 1), Reason.PRICE)

    facts = loss_facts(user=team_lead, filters=LossFilters(as_of=LEAP_DAY, source=RENEWAL))

    assert [(f.source, f.count) for f in facts] == [(RENEWAL, 1)]


@pytest.mark.parametrize("no_longer_needed", [False, True])
def test_by_reason_and_reasons_by_month_list_the_same_reasons(team_lead, no_longer_needed):
    customer = CustomerFactory()
    lost_case(customer, at(2028, 1, 10), LossReason.PRICE)
    if no_longer_needed:
        lost_case(customer, at(2028, 1, 12), LossReason.NO_LONGER_NEEDED)

    tables = loss_tables(
        loss_facts(user=team_lead, filters=LossFilters(as_of=LEAP_DAY)), as_of=LEAP_DAY
    )

    by_reason = [str(r[0]) for r in table(tables, "reasons").rows][:-1]  # without "Total"
    by_month = [str(c.label) for c in table(tables, "trend").columns][1:]  # without "Month"
    assert by_reason == by_month
    assert ("No longer needed" in by_month) is no_longer_needed
