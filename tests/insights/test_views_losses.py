"""The loss analysis page and its CSV exports (insights/views_losses.py): access by book,
bad parameters answered with a message (never a 500), the CSV safe against formulas and
with one money column per currency, and the page in Chinese."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from renewals.models import LossReason, RenewalCase, Stage
from tests.factories import ContractFactory, CustomerFactory, StaffFactory

SH = ZoneInfo("Asia/Shanghai")
URL = reverse("insights:losses")

pytestmark = pytest.mark.django_db


def lost(customer, when, reason, *, value="1000", currency="CNY", note=""):
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
        opened_at=when - dt.timedelta(days=30),
        closed_at=when,
        loss_reason=reason,
        loss_note=note,
    )


def csv_rows(response):
    text = b"".join(response.streaming_content if response.streaming else [response.content])
    return list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))


def test_a_team_lead_sees_every_book_and_a_manager_only_theirs(client, team_lead, manager):
    lost(CustomerFactory(account_manager=manager), dt.datetime(2028, 2, 10, tzinfo=SH), "price")
    other = StaffFactory(username="dave-l", first_name="Dave", last_name="Other")
    lost(CustomerFactory(account_manager=other), dt.datetime(2028, 2, 11, tzinfo=SH), "budget")

    client.force_login(team_lead)
    lead_page = client.get(URL, {"as_of": "2028-02-29"})
    client.force_login(manager)
    own_page = client.get(URL, {"as_of": "2028-02-29", "manager": other.pk})

    assert lead_page.status_code == 200
    lead_managers = lead_page.context["tables"]["managers"]
    assert sorted(str(r[0]) for r in lead_managers.rows) == sorted(
        [manager.get_full_name(), "Dave Other"]
    )
    # The manager field is not theirs to use: their own book only.
    assert own_page.status_code == 200
    assert [str(r[0]) for r in own_page.context["tables"]["managers"].rows] == [
        manager.get_full_name()
    ]
    assert "Dave Other" not in own_page.content.decode()


def test_the_page_needs_a_staff_login(client):
    response = client.get(URL)

    assert response.status_code in (302, 403)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"as_of": "2028-02-30"}, "Enter the date as YYYY-MM-DD."),
        ({"as_of": "29/02/2028"}, "Enter the date as YYYY-MM-DD."),
        ({"as_of": "9999-12-31"}, "Choose a date from 2000-01-01 to 2100-12-31."),
        ({"source": "everything"}, "Select a valid choice."),
        ({"tier": "Z"}, "Select a valid choice."),
        ({"manager": "not-a-number"}, "Select a valid choice."),
    ],
)
def test_bad_parameters_get_a_clear_message_not_a_500(client, team_lead, params, message):
    client.force_login(team_lead)

    page = client.get(URL, params)
    export = client.get(reverse("insights:losses-export", args=["reasons"]), params)

    assert page.status_code == 400
    assert message in page.content.decode()
    assert "Why we lose renewals" in page.content.decode()
    assert export.status_code == 400
    assert message in export.content.decode()


def test_the_csv_export_has_the_page_figures_one_column_per_currency_and_no_formulas(
    client, team_lead
):
    customer = CustomerFactory(name="=HYPERLINK(1)")
    customer.account_manager.first_name = "=cmd"
    customer.account_manager.save()
    lost(customer, dt.datetime(2028, 1, 5, tzinfo=SH), LossReason.PRICE, value="100.10")
    lost(customer, dt.datetime(2028, 1, 6, tzinfo=SH), LossReason.PRICE, value="7", currency="USD")
    client.force_login(team_lead)

    reasons = csv_rows(
        client.get(reverse("insights:losses-export", args=["reasons"]), {"as_of": "2028-02-29"})
    )
    managers = csv_rows(
        client.get(reverse("insights:losses-export", args=["managers"]), {"as_of": "2028-02-29"})
    )

    header = reasons[0]
    assert "Total value (CNY)" in header and "Total value (USD)" in header
    price = next(r for r in reasons if r[0] == "Price")
    assert price[header.index("Lost renewals")] == "2"
    assert price[header.index("Total value (CNY)")] == "100.10"
    assert price[header.index("Total value (USD)")] == "7.00"
    assert managers[1][0].startswith("'=")


def test_an_unknown_table_is_not_found(client, team_lead):
    client.force_login(team_lead)

    assert client.get(reverse("insights:losses-export", args=["nope"])).status_code == 404


def test_the_page_speaks_chinese(client, team_lead):
    team_lead.language = "zh-hans"
    team_lead.save()
    lost(CustomerFactory(), dt.datetime(2028, 2, 1, tzinfo=SH), LossReason.NO_RESPONSE)
    client.force_login(team_lead)

    body = client.get(URL, {"as_of": "2028-02-29"}).content.decode()

    for text in (
        "流失原因分析",
        "按原因",
        "续约流失",
        "解约",
        "按类别统计的反馈",
        "无回应",
        "未解决",
    ):
        assert text in body, text


def test_the_navigation_links_to_the_page(client, manager):
    client.force_login(manager)

    assert URL in client.get(reverse("insights:feedback")).content.decode()
