"""The at-risk list writes a contract's value at risk in the contract's own currency: a
1,000 USD contract's figure is not the 7,000 CNY it converts to with a "USD" label, and
the export has one money column per currency (issue #13, item 10)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from core.money import money_text
from customers.models import TierSettings
from insights.models import ContractScore
from insights.scoring import propensity_score_all
from tests.factories import ContractFactory, CustomerFactory

TITLE = {"en": "At-risk renewals", "zh-hans": "有流失风险的续约"}


@pytest.fixture
def usd_score(manager, frozen_today):
    TierSettings.objects.update_or_create(pk=1, defaults={"fx_rates": {"USD": "7"}})
    ContractFactory(
        customer=CustomerFactory(account_manager=manager),
        currency="USD",
        annual_value=Decimal("1000.00"),
        end_date=frozen_today + dt.timedelta(days=40),
    )
    propensity_score_all(today=frozen_today)
    score = ContractScore.objects.get()
    assert 0 < score.score < 100
    return score


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_value_at_risk_is_in_the_contracts_currency(client, manager, usd_score, language):
    own = (Decimal("1000") * (100 - usd_score.score) / 100).quantize(Decimal("0.01"))
    # Stored converted to CNY, only to order the list.
    assert usd_score.value_at_risk == own * 7
    client.force_login(manager)
    client.cookies["django_language"] = language
    html = client.get(reverse("insights:at-risk")).content.decode()
    assert TITLE[language] in html
    assert money_text(own, "USD") in html
    assert money_text(own * 7, "USD") not in html


def test_the_export_has_money_columns_per_currency(client, manager, usd_score):
    own = (Decimal("1000") * (100 - usd_score.score) / 100).quantize(Decimal("0.01"))
    client.force_login(manager)
    client.cookies["django_language"] = "en"
    response = client.get(reverse("insights:at-risk-export"))
    header, row = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    values = dict(zip(header, row, strict=True))
    assert values["Annualised value (USD)"] == "1000.00"
    assert values["Value at risk (USD)"] == str(own)
