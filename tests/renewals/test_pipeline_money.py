"""The pipeline board's column totals never add one currency to another: a USD and a
CNY contract in the same stage give "CNY 12,000.00 · USD 3,000.00", in both languages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from core.money import MoneyTotals
from renewals.models import RenewalCase, Stage
from renewals.selectors import pipeline_board
from tests.factories import ContractFactory, CustomerFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 21)
TITLES = {"en": "Renewal pipeline", "zh-hans": "续约管道"}


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime(2026, 11, 21, 10, 0, tzinfo=dt.UTC), tick=False):
        yield


def _case(manager, *, currency: str, amount: str, stage: str = Stage.INTENT_PENDING):
    contract = ContractFactory(
        customer=CustomerFactory(account_manager=manager),
        currency=currency,
        total_amount=Decimal(amount),
        annual_value=Decimal(amount),
        end_date=TODAY + dt.timedelta(days=30),
    )
    return RenewalCase.objects.create(
        contract=contract, owner=manager, stage=stage, opened_at=timezone.now()
    )


@pytest.fixture
def mixed_column(manager):
    _case(manager, currency="CNY", amount="12000.00")
    _case(manager, currency="USD", amount="3000.00")
    _case(manager, currency="CNY", amount="500.50", stage=Stage.QUOTE_SENT)


def test_it_totals_each_column_per_currency(manager, mixed_column):
    columns = {c.stage: c for c in pipeline_board(user=manager, today=TODAY)}
    assert columns[Stage.INTENT_PENDING].total == MoneyTotals(
        {"CNY": Decimal("12000.00"), "USD": Decimal("3000.00")}
    )
    assert columns[Stage.QUOTE_SENT].total == MoneyTotals({"CNY": Decimal("500.50")})
    assert columns[Stage.WON].total == MoneyTotals()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_board_shows_the_totals_per_currency(client, manager, mixed_column, language):
    client.force_login(manager)
    client.cookies["django_language"] = language
    body = client.get(reverse("renewals:pipeline")).content.decode()
    assert TITLES[language] in body
    assert "CNY 12,000.00 · USD 3,000.00" in body
    # 15,000 would be 12,000 CNY + 3,000 USD added as if they were one currency.
    assert "15,000.00" not in body
    assert "CNY 500.50" in body


def test_a_cards_next_action_reads_next_step_in_chinese_not_next_page(client, manager):
    case = _case(manager, currency="CNY", amount="100.00")
    RenewalCase.objects.filter(pk=case.pk).update(next_action="Call the buyer")
    client.force_login(manager)
    client.cookies["django_language"] = "zh-hans"

    body = client.get(reverse("renewals:pipeline")).content.decode()

    assert "下一步: Call the buyer" in body
    assert "下一页: Call" not in body
