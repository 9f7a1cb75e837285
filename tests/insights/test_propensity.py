"""Renewal propensity: the rule-based score by hand, the trained model on a synthetic
history with real signal (late payers and complainers renew less), the fallback."""

from __future__ import annotations

import datetime as dt
import math
import random
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection

from billing.models import Invoice
from contracts.models import Contract, PlanPrice
from contracts.models import ContractStatus as S
from core.models import User
from customers.models import Customer
from insights import propensity as p
from insights.models import ContractScore, Feedback, PropensityModel, Survey
from insights.scoring import at_risk_list, propensity_score_all
from insights.selectors import DashboardFilters
from tests.factories import ContractFactory, CustomerFactory, PlanFactory

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 6, 15)


def test_the_rule_based_score_adds_up_its_documented_points():
    features = {
        "tenure_years": 2.0,  # +6
        "past_renewals": 2.0,  # +10
        "late_ratio": 0.5,  # -17.5
        "complaints": 1.0,  # -8
        "satisfaction": 1.0,  # +15 (CSAT 5 of 5)
        "price_change": 0.10,  # -10
        "reminders_read": None,  # unknown: no points
        "portal_recent": 1.0,  # +5
        "auto_renew": 0.0,  # 0
    }
    score, factors = p.score_rules(features)
    # 60 + 6 + 10 - 17.5 - 8 + 15 - 10 + 5 = 60.5 → 60 (banker's rounding of .5)
    assert score == 60
    assert [f["feature"] for f in factors] == ["late_ratio", "satisfaction", "past_renewals"]
    assert factors[0]["direction"] == "down"


def test_the_score_stays_within_0_and_100():
    bad = {k: 0.0 for k in p.FEATURES} | {"late_ratio": 1.0, "complaints": 9.0}
    assert p.score_rules(bad)[0] == 0
    good = {k: 0.0 for k in p.FEATURES} | {
        "tenure_years": 9.0,
        "past_renewals": 9.0,
        "satisfaction": 1.0,
        "auto_renew": 1.0,
        "portal_recent": 1.0,
    }
    assert p.score_rules(good)[0] == 100


def test_features_come_from_invoices_feedback_surveys_prices_and_predecessors(
    manager, frozen_today
):
    plan = PlanFactory(price=Decimal("1000"))
    PlanPrice.objects.create(plan=plan, price=Decimal("1100"), effective_from=dt.date(2026, 7, 1))
    customer = CustomerFactory(account_manager=manager)
    ContractFactory(
        customer=customer,
        status=S.RENEWED,
        start_date=dt.date(2024, 7, 1),
        end_date=dt.date(2025, 6, 30),
    )
    contract = ContractFactory(
        customer=customer,
        plan=plan,
        start_date=dt.date(2025, 7, 1),
        end_date=dt.date(2026, 6, 30),
    )
    for i, paid in enumerate([dt.datetime(2026, 1, 5, tzinfo=SH), None, None]):
        Invoice.objects.create(
            number=f"INV-F{i}",
            customer=customer,
            contract=contract,
            kind="other",
            status="paid" if paid else ("open" if i == 1 else "void"),
            amount=Decimal("100"),
            issue_date=dt.date(2025, 12, 1),
            due_date=dt.date(2026, 1, 1),
            paid_at=paid,
        )
    Feedback.objects.create(
        customer=customer,
        category="complaint",
        subject="x",
        body="x",
        sla_due_at=dt.datetime(2026, 1, 1, tzinfo=SH),
    )
    Survey.objects.create(
        customer=customer,
        kind="nps",
        dedupe_key="nps:1",
        answered_at=dt.datetime(2026, 3, 1, tzinfo=SH),
        score=8,
    )
    row = p.annotate_features(Contract.objects.filter(pk=contract.pk), as_of=TODAY).values(
        *p.FEATURE_FIELDS
    )[0]
    f = p.features_from_row(row)
    assert f["tenure_years"] == pytest.approx((TODAY - dt.date(2024, 7, 1)).days / 365)
    assert f["past_renewals"] == 1
    assert f["late_ratio"] == 1.0  # the paid-late and the open one; the void one ignored
    assert f["complaints"] == 1
    assert f["satisfaction"] == pytest.approx(0.8)
    assert f["price_change"] == pytest.approx(0.1)
    assert f["reminders_read"] is None
    assert f["portal_recent"] == 0.0


def _synthetic_history(n: int, seed: int = 7) -> None:
    """``n`` ended terms. Each customer has a hidden profile; whether the term was
    renewed is drawn from a logistic of that profile, so the features carry signal
    (AUC well above 0.5) without being a perfect predictor."""
    rng = random.Random(seed)
    manager = User.objects.create(username="synthetic-am", is_staff=True)
    customers = Customer.objects.bulk_create(
        [
            Customer(code=f"S{i:06d}", name=f"Synthetic {i}", account_manager=manager)
            for i in range(n)
        ]
    )
    contracts, profiles = [], []
    for i, customer in enumerate(customers):
        late = rng.random() < 0.3
        complainer = rng.random() < 0.2
        auto = rng.random() < 0.4
        logit = 1.2 - 2.2 * late - 1.8 * complainer + 1.0 * auto + rng.gauss(0, 0.5)
        renewed = rng.random() < 1 / (1 + math.exp(-logit))
        end = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(150))
        contracts.append(
            Contract(
                number=f"SYN-{i:06d}",
                customer=customer,
                owner=manager,
                status=S.RENEWED if renewed else S.EXPIRED,
                start_date=end - dt.timedelta(days=364),
                end_date=end,
                auto_renew=auto,
                total_amount=Decimal("12000"),
                annual_value=Decimal("12000"),
            )
        )
        profiles.append((late, complainer))
    Contract.objects.bulk_create(contracts, batch_size=5000)
    invoices, feedback = [], []
    for i, (contract, (late, complainer)) in enumerate(zip(contracts, profiles, strict=True)):
        for k in range(2):
            due = contract.start_date + dt.timedelta(days=30 + 120 * k)
            days_late = rng.choice([15, 30, 45]) if (late and rng.random() < 0.8) else 0
            if not late and rng.random() < 0.08:
                days_late = 10
            invoices.append(
                Invoice(
                    number=f"SYN-INV-{i}-{k}",
                    customer_id=contract.customer_id,
                    contract=contract,
                    kind="other",
                    status="paid",
                    amount=Decimal("6000"),
                    issue_date=due - dt.timedelta(days=14),
                    due_date=due,
                    paid_at=dt.datetime.combine(
                        due + dt.timedelta(days=days_late), dt.time(12), SH
                    ),
                )
            )
        if complainer or rng.random() < 0.05:
            feedback.append(
                Feedback(
                    customer_id=contract.customer_id,
                    category="complaint",
                    subject="Unhappy",
                    body="…",
                    sla_due_at=dt.datetime(2025, 11, 1, tzinfo=SH),
                )
            )
    Invoice.objects.bulk_create(invoices, batch_size=5000)
    # created_at is auto_now_add: the complaints are made "now", which the test sets to
    # a few months before the terms end.
    with time_machine.travel(dt.datetime(2025, 10, 15, 10, tzinfo=SH), tick=False):
        Feedback.objects.bulk_create(feedback, batch_size=5000)
    # Fresh planner statistics, as autovacuum would have in production: without them the
    # planner guesses the tables are tiny and picks bitmap ANDs over whole indexes.
    with connection.cursor() as cursor:
        for table in ("contracts_contract", "billing_invoice", "insights_feedback"):
            cursor.execute(f"ANALYZE {table}")


@pytest.mark.date_independent  # a synthetic history with its own dates
def test_training_on_a_history_with_signal_reaches_a_holdout_auc_above_0_7(capsys):
    # given 20,000 ended terms where late payers and complainers renew less
    _synthetic_history(20_000)
    # when
    call_command("train_propensity", "--as-of", "2026-06-15", "--no-score", "--min-history", "1000")
    # then
    out = capsys.readouterr().out
    model = PropensityModel.objects.get()
    assert model.holdout_auc > 0.7
    assert f"holdout AUC {model.holdout_auc:.3f}" in out
    assert model.training_rows + model.holdout_rows == 20_000
    assert model.trained_at is not None


def test_below_the_minimum_history_the_rules_are_used(settings, manager, capsys):
    settings.RENEWDESK = {**settings.RENEWDESK, "PROPENSITY_MIN_HISTORY": 1000}
    _synthetic_history(200)
    ContractFactory(
        customer=CustomerFactory(account_manager=manager),
        start_date=dt.date(2025, 7, 1),
        end_date=dt.date(2026, 8, 1),
    )
    call_command("train_propensity", "--as-of", "2026-06-15")
    out = capsys.readouterr().out
    assert "not trained (too little history: 200 ended terms)" in out
    assert PropensityModel.objects.count() == 0
    assert "scored 1 contracts (rules)" in out
    assert ContractScore.objects.get().method == "rules"


def test_with_a_trained_model_contracts_are_scored_by_it_and_listed_by_value_at_risk(
    settings, manager
):
    settings.RENEWDESK = {**settings.RENEWDESK, "PROPENSITY_MIN_HISTORY": 1000}
    _synthetic_history(2000)
    assert p.propensity_train(today=TODAY).trained
    customer = CustomerFactory(account_manager=manager)
    big = ContractFactory(
        customer=customer,
        start_date=dt.date(2025, 7, 1),
        end_date=dt.date(2026, 8, 1),
        annual_value=Decimal("100000"),
    )
    small = ContractFactory(
        customer=customer,
        start_date=dt.date(2025, 7, 1),
        end_date=dt.date(2026, 9, 1),
        annual_value=Decimal("1000"),
    )
    ContractFactory(customer=customer, end_date=dt.date(2026, 12, 1))  # beyond 120 days
    result = propensity_score_all(today=TODAY)
    assert result.method == "model"
    # (plus the synthetic book's contracts, all ended: none scored)
    assert result.scored == 2
    listed = list(at_risk_list(user=manager, filters=DashboardFilters(), today=TODAY))
    assert [s.contract for s in listed] == [big, small]
    score = listed[0]
    assert 0 <= score.score <= 100
    assert score.value_at_risk == (Decimal("100000") * (100 - score.score) / 100).quantize(
        Decimal("0.01")
    )
    assert score.factors and {"feature", "effect", "direction"} <= set(score.factors[0])
    # Scoring again is harmless, and a contract that left the window loses its score.
    Contract.objects.filter(pk=small.pk).update(status=S.EXPIRED)
    propensity_score_all(today=TODAY)
    assert set(ContractScore.objects.values_list("contract_id", flat=True)) == {big.pk}


def test_the_at_risk_page_lists_scores_in_the_managers_book_only(client, manager, frozen_today):
    mine = ContractFactory(
        customer=CustomerFactory(account_manager=manager, name="=Mine Ltd"),
        end_date=frozen_today + dt.timedelta(days=40),
        annual_value=Decimal("50000"),
    )
    theirs = ContractFactory(end_date=frozen_today + dt.timedelta(days=40))
    result = propensity_score_all(today=frozen_today)
    assert result.method == "rules" and result.scored == 2
    client.force_login(manager)
    response = client.get("/staff/insights/at-risk/")
    assert response.status_code == 200
    listed = [s.contract for s in response.context["page_obj"].object_list]
    assert listed == [mine]
    assert theirs not in listed
    html = response.content.decode()
    assert "transparent rules" in html
    assert "Auto-renewal on" in html or "Uses the portal" in html or "Tenure" in html
    export = client.get("/staff/insights/at-risk/export.csv")
    assert "'=Mine Ltd" in export.content.decode("utf-8-sig")


def test_the_nightly_task_trains_when_it_can_and_rescores(settings, manager, frozen_today):
    from insights.tasks import propensity_nightly

    settings.RENEWDESK = {**settings.RENEWDESK, "PROPENSITY_MIN_HISTORY": 100}
    _synthetic_history(400)
    ContractFactory(
        customer=CustomerFactory(account_manager=manager),
        end_date=frozen_today + dt.timedelta(days=10),
    )
    result = propensity_nightly()
    assert result["trained"] is True and result["method"] == "model"
    assert result["scored"] == 1
