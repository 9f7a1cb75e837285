"""A renewal reminder compares like with like (notifications/reminders/content.py): the
current and the next fee for the same length of time. A German contract that renews into
an open-ended monthly one is compared per month; a year at 6,000 on a plan priced 500 a
month does not change its fee."""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.template.loader import render_to_string
from django.utils import translation

from contracts.services import contract_set_auto_renew
from notifications.reminders.content import reminder_context_for_contract
from tests.factories import ContractFactory, CustomerFactory, PlanFactory

pytestmark = pytest.mark.django_db

START, END = dt.date(2027, 3, 1), dt.date(2028, 2, 29)  # a year ending on a leap day
TODAY = dt.date(2028, 1, 30)


@pytest.fixture(autouse=True)
def _rules(db):
    importlib.import_module("compliance.migrations.0002_seed_jurisdictions_rulesets").seed(
        apps, None
    )


def _annual(country, *, auto_renew=True, monthly="500.00"):
    contract = ContractFactory(
        customer=CustomerFactory(country=country),
        plan=PlanFactory(price=Decimal(monthly), billing_period="monthly"),
        start_date=START,
        end_date=END,
        total_amount=Decimal("6000.00"),
        billing_period="annual",
        auto_renew=False,
    )
    if auto_renew:
        contract_set_auto_renew(
            contract=contract, enabled=True, by=None, channel="portal", text="On", text_version="1"
        )
    contract.refresh_from_db()
    return contract


def _text(context):
    with translation.override("en"):
        return " ".join(render_to_string("emails/renewal_reminder.txt", context).split())


def test_a_german_contract_renewing_open_ended_is_compared_per_month():
    context = reminder_context_for_contract(contract=_annual("DE"), today=TODAY)

    assert context["fee_period"] == "monthly" and context["open_ended"]
    assert (context["current_fee"], context["next_fee"]) == (Decimal("500.00"), Decimal("500.00"))
    text = _text(context)
    assert "Next term's fee: CNY 500.00 per month." in text
    assert "The fee does not change." in text and "less than" not in text
    assert "continues month by month with no fixed end" in text


def test_a_german_price_rise_is_the_monthly_difference():
    context = reminder_context_for_contract(contract=_annual("DE", monthly="550.00"), today=TODAY)

    assert (context["current_fee"], context["next_fee"]) == (Decimal("500.00"), Decimal("550.00"))
    assert "CNY 50.00 more than your current fee of CNY 500.00" in _text(context)


def test_a_year_on_a_monthly_plan_is_compared_per_year():
    context = reminder_context_for_contract(contract=_annual("CN"), today=TODAY)

    assert context["fee_period"] == "annual" and not context["open_ended"]
    assert (context["current_fee"], context["next_fee"]) == (
        Decimal("6000.00"),
        Decimal("6000.00"),
    )
    text = _text(context)
    assert "Next term's fee: CNY 6,000.00 per year." in text
    assert "The fee does not change." in text and "month by month" not in text


def test_a_german_contract_without_automatic_renewal_keeps_its_period():
    context = reminder_context_for_contract(contract=_annual("DE", auto_renew=False), today=TODAY)
    assert context["fee_period"] == "annual" and not context["open_ended"]
    assert context["next_fee"] == Decimal("6000.00")
