"""Dashboard money never adds one currency to another (issue #13, item 10).

Amounts (expiring value in the cards and the tier / manager / plan tables and their CSV
exports) are per currency: "CNY 12,000.00 · USD 3,000.00", and a USD plan's row shows
its USD, not 0.00. Rates by value need one scale: they convert at the tier settings'
exchange rates and say so, and a currency without a rate is left out and named."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from contracts.models import ContractStatus as S
from customers.models import TierSettings
from tests.factories import ContractFactory, CustomerFactory, PlanFactory

LANGUAGES = ["en", "zh-hans"]
TITLE = {"en": "Dashboard", "zh-hans": "仪表盘"}
CONVERTED = {
    "en": "Rates by value: USD converted to CNY at the exchange rates of the tier settings.",
    "zh-hans": "按金额计算的比率：USD 已按客户分级设置中的汇率折算为 CNY。",
}
LEFT_OUT = {
    "en": "Left out of the rates by value (no exchange rate): USD.",
    "zh-hans": "未计入按金额计算的比率（无汇率）：USD。",
}


@pytest.fixture
def staff(client, manager):
    def get(language: str, name: str = "staff-home", *args: object) -> str:
        client.cookies["django_language"] = language
        response = client.get(reverse(name, args=args))
        assert response.status_code == 200
        return response.content.decode()

    client.force_login(manager)
    return get


@pytest.fixture
def expiring(manager, frozen_today):
    """12,000 CNY (no plan) and 3,000 USD on a USD plan, both ending within 30 days."""
    customer = CustomerFactory(account_manager=manager, tier="A")
    usd_plan = PlanFactory(code="GLOBAL", name="Global", currency="USD")
    ContractFactory(customer=customer, end_date=frozen_today + dt.timedelta(days=10))
    ContractFactory(
        customer=customer,
        plan=usd_plan,
        currency="USD",
        total_amount=Decimal("3000.00"),
        annual_value=Decimal("3000.00"),
        end_date=frozen_today + dt.timedelta(days=20),
    )
    return usd_plan


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_expiring_value_is_given_per_currency(staff, expiring, language):
    html = staff(language)
    assert TITLE[language] in html
    card = re.search(r'data-metric="expiring-value-30">([^<]*)<', html).group(1)
    assert card.strip() == "CNY 12,000.00 · USD 3,000.00"
    # 12,000 + 3,000 added as if USD were CNY, or USD counted 0 for want of a rate.
    assert "15,000.00" not in html
    assert "CNY 12,000.00 <" not in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_usd_plan_row_shows_its_usd_value_not_zero(staff, expiring, language):
    html = staff(language)
    table = html[html.index('id="table-plan"') :]
    table = table[: table.index("</table>")]
    row = next(r for r in table.split("<tr>") if "GLOBAL Global" in r)
    cells = _text(row)
    assert "USD 3,000.00" in cells
    assert "0.00" not in cells.replace("3,000.00", "")
    tier = html[html.index('id="table-tier"') :]
    assert "CNY 12,000.00 · USD 3,000.00" in tier[: tier.index("</table>")]


def test_the_plan_csv_has_one_value_column_per_currency(client, manager, expiring):
    client.force_login(manager)
    client.cookies["django_language"] = "zh-hans"
    response = client.get(reverse("insights:dashboard-export", args=["plan"]))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header = rows[0]
    assert "≤ 30 天内到期金额（CNY）" in header and "≤ 30 天内到期金额（USD）" in header
    by_plan = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    usd_row = by_plan["GLOBAL Global"]
    assert usd_row["≤ 30 天内到期金额（USD）"] == "3000.00"
    assert usd_row["≤ 30 天内到期金额（CNY）"] == ""


@pytest.fixture
def ended_terms(manager, frozen_today):
    """In March 2026: a 1,000 CNY term renewed (at 1,000 CNY) and a 1,000 USD term that
    expired. At 7 CNY per USD the rate by value is 1,000 / 8,000 = 12.5 %."""
    customer = CustomerFactory(account_manager=manager)
    renewed = ContractFactory(
        customer=customer,
        status=S.RENEWED,
        start_date=dt.date(2025, 4, 1),
        end_date=dt.date(2026, 3, 31),
        annual_value=Decimal("1000"),
        total_amount=Decimal("1000"),
    )
    ContractFactory(
        customer=customer,
        status=S.ACTIVE,
        predecessor=renewed,
        start_date=dt.date(2026, 4, 1),
        end_date=dt.date(2027, 3, 31),
        annual_value=Decimal("1000"),
        total_amount=Decimal("1000"),
    )
    ContractFactory(
        customer=customer,
        status=S.EXPIRED,
        currency="USD",
        start_date=dt.date(2025, 3, 20),
        end_date=dt.date(2026, 3, 19),
        annual_value=Decimal("1000"),
        total_amount=Decimal("1000"),
    )


def _metric(html: str, name: str) -> str:
    return re.search(rf'data-metric="{name}">([^<]*)<', html).group(1).strip()


@pytest.mark.parametrize("language", LANGUAGES)
def test_rates_by_value_convert_at_the_configured_rates_and_say_so(staff, ended_terms, language):
    TierSettings.objects.update_or_create(pk=1, defaults={"fx_rates": {"USD": "7"}})
    html = staff(language)
    assert _metric(html, "renewal-rate-value") == "12.5%"
    assert _metric(html, "grr") == "12.5%"
    assert _metric(html, "renewal-rate-count") == "50.0%"
    assert _metric(html, "value-rates-note") == CONVERTED[language]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_currency_without_a_rate_is_left_out_of_the_value_rates_and_named(
    staff, ended_terms, language
):
    TierSettings.objects.update_or_create(pk=1, defaults={"fx_rates": {}})
    html = staff(language)
    # Only the CNY term is weighed; the USD one is named, not counted as 0.
    assert _metric(html, "renewal-rate-value") == "100.0%"
    assert _metric(html, "value-rates-note") == LEFT_OUT[language]
    assert LEFT_OUT[language] in _text(html[html.index('id="table-monthly"') :])
