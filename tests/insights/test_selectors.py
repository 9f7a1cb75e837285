"""Dashboard figures against numbers worked out by hand from tests/insights/conftest.py."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contracts.models import ContractStatus as S
from insights.monthly_figures import month_starts, monthly_figures, totals
from insights.selectors import (
    DashboardFilters,
    dashboard_contracts,
    fx_rates,
    upcoming_expirations,
)
from tests.factories import ContractFactory, CustomerFactory

pytestmark = pytest.mark.django_db


NO_FILTERS = DashboardFilters()


def figures_for(user, filters=NO_FILTERS, today=dt.date(2026, 6, 15)):
    contracts = dashboard_contracts(user=user, filters=filters)
    return {
        f.month.strftime("%Y-%m"): f
        for f in monthly_figures(contracts=contracts, today=today, rates=fx_rates())
    }


def test_it_lists_the_last_twelve_months_oldest_first_across_a_year_boundary():
    starts = month_starts(today=dt.date(2026, 6, 15))
    assert starts[0] == dt.date(2025, 7, 1)
    assert starts[-1] == dt.date(2026, 6, 1)
    assert len(starts) == 12


def test_it_counts_upcoming_expirations_by_window_value_tier_and_plan(book):
    contracts = dashboard_contracts(user=book.manager, filters=DashboardFilters())
    exp = upcoming_expirations(contracts=contracts, today=dt.date(2026, 6, 15), rates=fx_rates())
    total = exp["total"][0]
    # a1 (10 days, 20,000) and a5 (20 days, 1,000 USD, kept in USD); a2 at 47 days; a3
    # at 87 days. Values are per currency, never added together.
    assert total.counts == {30: 2, 60: 3, 90: 4}
    assert {d: v.amounts for d, v in total.values.items()} == {
        30: {"CNY": Decimal("20000.00"), "USD": Decimal("1000.00")},
        60: {"CNY": Decimal("25000.00"), "USD": Decimal("1000.00")},
        90: {"CNY": Decimal("32000.00"), "USD": Decimal("1000.00")},
    }
    by_tier = {r.key: r for r in exp["tier"]}
    assert by_tier["A"].counts == {30: 2, 60: 2, 90: 2}
    assert by_tier["A"].values[90].text() == "CNY 20,000.00 · USD 1,000.00"
    assert by_tier["B"].counts == {30: 0, 60: 1, 90: 2}
    assert by_tier["B"].values[90].text() == "CNY 12,000.00"
    by_plan = {r.key: r for r in exp["plan"]}
    assert by_plan[book.plan.pk].counts == {30: 0, 60: 1, 90: 1}
    assert by_plan[None].counts == {30: 2, 60: 2, 90: 3}
    (mine,) = exp["manager"]
    assert mine.key == book.manager.pk


def test_it_computes_renewal_rates_and_revenue_retention_for_a_month(book):
    feb = figures_for(book.manager)["2026-02"]
    # r1 (12,000 → 15,000), r2 (10,000 → 8,000) renewed; e1 (6,000) expired.
    assert (feb.ended, feb.renewed, feb.lost) == (3, 2, 1)
    assert feb.renewal_rate_count == Decimal("66.7")  # 2 / 3
    assert feb.renewal_rate_value == Decimal("78.6")  # 22,000 / 28,000
    assert feb.grr == Decimal("71.4")  # (12,000 + 8,000) / 28,000
    assert feb.nrr == Decimal("82.1")  # (15,000 + 8,000) / 28,000
    # In force on 1 Feb: r1 r2 e1 t1 a1 a2 a3 a4 = 8; lost 1.
    assert feb.in_force_at_start == 8
    assert feb.churn_rate == Decimal("12.5")


def test_it_counts_an_early_termination_in_the_month_it_ended_not_its_end_date(book):
    figures = figures_for(book.manager)
    assert (figures["2026-03"].ended, figures["2026-03"].lost) == (1, 1)
    # In force on 1 March: t1, a1-a4, s1 (starts that day), s2 = 7.
    assert figures["2026-03"].in_force_at_start == 7
    assert figures["2026-03"].churn_rate == Decimal("14.3")
    assert figures["2026-03"].renewal_rate_count == Decimal("0.0")


def test_it_counts_a_contract_spanning_the_year_boundary_in_its_end_month(book):
    figures = figures_for(book.manager)
    jan = figures["2026-01"]
    assert (jan.ended, jan.renewed) == (1, 0)
    assert jan.ended_value == Decimal("3000.00")
    assert jan.grr == Decimal("0.0")
    assert jan.in_force_at_start == 9  # e2 r1 r2 e1 t1 a1 a2 a3 a4
    assert jan.churn_rate == Decimal("11.1")
    assert figures["2025-12"].ended == 0


def test_it_shows_no_rate_for_a_month_with_nothing_ended(book):
    oct_ = figures_for(book.manager)["2025-10"]
    assert oct_.ended == 0
    assert oct_.renewal_rate_count is None
    assert oct_.renewal_rate_value is None
    assert oct_.grr is None and oct_.nrr is None
    assert oct_.save_rate is None
    assert oct_.cancellations == {}
    assert oct_.in_force_at_start == 8  # e2 r1 r2 e1 t1 a1 a2 a3
    assert oct_.churn_rate == Decimal("0.0")


def test_it_counts_cancellations_by_reason_and_the_save_rate_in_local_months(book):
    figures = figures_for(book.manager)
    may = figures["2026-05"]
    assert may.cancellations == {"price": 2, "budget": 1}  # the rejected one is left out
    assert (may.offers_shown, may.offers_accepted) == (2, 1)
    assert may.save_rate == Decimal("50.0")
    assert figures["2026-04"].cancellations == {}


def test_it_sums_the_period_and_recomputes_its_rates(book):
    period = totals(list(figures_for(book.manager).values()))
    assert (period.ended, period.renewed, period.lost) == (5, 2, 3)
    assert period.renewal_rate_value == Decimal("62.9")  # 22,000 / 35,000
    assert period.in_force_at_start == 5  # on 1 July 2025: e2 r1 r2 e1 a1
    assert period.churn_rate == Decimal("60.0")


def test_it_filters_by_tier_and_plan(book):
    feb_b = figures_for(book.manager, DashboardFilters(tier="B"))["2026-02"]
    assert (feb_b.ended, feb_b.renewed) == (2, 1)  # r2, e1
    assert feb_b.grr == Decimal("50.0")  # 8,000 / 16,000
    contracts = dashboard_contracts(
        user=book.manager, filters=DashboardFilters(plan_id=book.plan.pk)
    )
    assert list(contracts) == [book.a2]


def test_a_manager_never_sees_another_book_but_a_team_lead_can_pick_one(book, team_lead):
    mine = dashboard_contracts(user=book.manager, filters=DashboardFilters())
    assert book.other not in mine
    lead_all = dashboard_contracts(user=team_lead, filters=DashboardFilters())
    assert book.other in lead_all
    lead_alice = dashboard_contracts(
        user=team_lead, filters=DashboardFilters(manager_id=book.manager.pk)
    )
    assert book.other not in lead_alice and book.a1 in lead_alice


def _queries(user) -> int:
    contracts = dashboard_contracts(user=user, filters=DashboardFilters())
    with CaptureQueriesContext(connection) as ctx:
        rates = fx_rates()
        upcoming_expirations(contracts=contracts, today=dt.date(2026, 6, 15), rates=rates)
        monthly_figures(contracts=contracts, today=dt.date(2026, 6, 15), rates=rates)
    return len(ctx.captured_queries)


def test_it_costs_the_same_number_of_queries_with_ten_times_the_contracts(book):
    before = _queries(book.manager)
    customer = CustomerFactory(account_manager=book.manager, tier="C")
    for i in range(100):
        ContractFactory(
            customer=customer,
            status=[S.ACTIVE, S.EXPIRED, S.RENEWED][i % 3],
            start_date=dt.date(2025, 1, 1) + dt.timedelta(days=i),
            end_date=dt.date(2026, 1, 1) + dt.timedelta(days=i * 2),
            with_line=False,
        )
    assert _queries(book.manager) == before
    assert before <= 10


def test_a_manual_tier_override_wins_in_filters_and_breakdowns(book):
    book.tier_b.tier_override = "A"
    book.tier_b.save()
    contracts = dashboard_contracts(user=book.manager, filters=DashboardFilters(tier="A"))
    assert book.a2 in contracts
    exp = upcoming_expirations(
        contracts=dashboard_contracts(user=book.manager, filters=NO_FILTERS),
        today=dt.date(2026, 6, 15),
        rates=fx_rates(),
    )
    assert [r.key for r in exp["tier"]] == ["A"]
