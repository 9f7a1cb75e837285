from __future__ import annotations

import csv
import io
from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse

from insights.monthly_figures import cancellation_reasons
from tests.factories import ContractFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def test_the_staff_home_is_the_dashboard_with_definitions_as_tooltips(client, book):
    client.force_login(book.manager)
    response = client.get(reverse("staff-home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-bs-toggle="tooltip"' in html
    assert "Gross revenue retention" in html
    assert "vendor/chartjs/chart.umd.min.js" in html
    assert 'id="chart-rates" type="application/json"' in html
    assert response.context["period"].renewed == 2
    assert {w["days"]: w["count"] for w in response.context["windows"]} == {30: 2, 60: 3, 90: 4}


def test_each_month_links_to_the_contracts_behind_it(client, book):
    client.force_login(book.manager)
    table = client.get(reverse("staff-home")).context["monthly_table"]
    feb = next(row for row in table["rows"] if row[0].value == "2026-02")
    renewed_cell = feb[2]
    assert renewed_cell.value == 2
    listed = client.get(renewed_cell.url)
    assert {c.number for c in listed.context["page_obj"].object_list} == {
        book.r1.number,
        book.r2.number,
    }
    ended = client.get(feb[1].url).context["page_obj"].object_list
    assert {c.number for c in ended} == {book.r1.number, book.r2.number, book.e1.number}
    march = next(row for row in table["rows"] if row[0].value == "2026-03")
    terminated = client.get(march[1].url).context["page_obj"].object_list
    assert [c.number for c in terminated] == [book.t1.number]


def test_cancellation_figures_link_to_their_contracts(client, book):
    client.force_login(book.manager)
    table = client.get(reverse("staff-home")).context["reasons_table"]
    may = next(row for row in table["rows"] if row[0].value == "2026-05")
    codes = [code for code, _label in cancellation_reasons()]
    price = may[1 + codes.index("price")]
    assert price.value == 2
    listed = client.get(price.url).context["page_obj"].object_list
    assert {c.number for c in listed} == {book.a2.number, book.a3.number}


def test_offer_figures_link_to_the_contracts_shown_and_accepting_an_offer(client, book):
    # given May: offers shown on a2 (accepted) and a3 (declined); a1 cancelled without one
    client.force_login(book.manager)
    table = client.get(reverse("staff-home")).context["monthly_table"]
    may = next(row for row in table["rows"] if row[0].value == "2026-05")
    shown, accepted, save_rate = may[-3], may[-2], may[-1]
    assert (shown.value, accepted.value) == (2, 1)

    def listed(cell):
        return {c.number for c in client.get(cell.url).context["page_obj"].object_list}

    # then each figure lists exactly the contracts it counts
    assert listed(shown) == {book.a2.number, book.a3.number}
    assert listed(accepted) == {book.a2.number}
    assert listed(save_rate) == {book.a2.number, book.a3.number}


def test_expiry_breakdown_links_keep_the_tier_and_window(client, book):
    client.force_login(book.manager)
    tables = {t["key"]: t for t in client.get(reverse("staff-home")).context["expiry_tables"]}
    row_b = next(r for r in tables["tier"]["rows"] if r[0].value == "B")
    url = row_b[5].url  # ending within 90 days
    query = parse_qs(urlparse(url).query)
    assert query["tier"] == ["B"] and query["ending_within"] == ["90"]
    listed = client.get(url).context["page_obj"].object_list
    assert {c.number for c in listed} == {book.a2.number, book.a3.number}


def test_a_manager_cannot_filter_by_another_manager(client, book):
    client.force_login(book.manager)
    other_id = book.other.customer.account_manager_id
    response = client.get(reverse("staff-home"), {"manager": other_id})
    assert response.status_code == 200
    assert "manager" not in response.context["form"].fields
    assert response.context["windows"][0]["count"] == 2


def test_bad_filter_values_do_not_break_the_dashboard(client, book, team_lead):
    client.force_login(team_lead)
    response = client.get(reverse("staff-home"), {"manager": "x", "tier": "Z", "plan": "999999"})
    assert response.status_code == 200


def test_the_dashboard_tables_export_as_csv_with_formulas_escaped(client, book):
    book.tier_a.account_manager.first_name = "=HYPERLINK(1)"
    book.tier_a.account_manager.last_name = ""
    book.tier_a.account_manager.save()
    client.force_login(book.manager)
    response = client.get(reverse("insights:dashboard-export", args=["manager"]))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][0] == "'=HYPERLINK(1)"
    monthly = client.get(reverse("insights:dashboard-export", args=["monthly"]))
    rows = list(csv.reader(io.StringIO(monthly.content.decode("utf-8-sig"))))
    assert len(rows) == 13
    feb = next(r for r in rows if r[0] == "2026-02")
    assert feb[1:5] == ["3", "2", "1", "66.7%"]


def test_an_unknown_export_is_a_404(client, book):
    client.force_login(book.manager)
    assert client.get("/staff/insights/export/nope.csv").status_code == 404


def test_a_portal_user_cannot_see_the_dashboard(client, db):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    assert client.get(reverse("staff-home")).status_code == 403


def test_the_dashboard_shows_a_contract_of_another_currency_without_a_rate_in_its_currency(
    client, manager, frozen_today
):
    customer = CustomerFactory(account_manager=manager)
    ContractFactory(customer=customer, currency="EUR", end_date=frozen_today)
    client.force_login(manager)
    windows = client.get(reverse("staff-home")).context["windows"]
    assert windows[0]["count"] == 1
    assert windows[0]["value"].text() == "EUR 12,000.00"


@pytest.mark.parametrize(("language", "empty"), [("en", "No data yet"), ("zh-hans", "暂无数据")])
def test_a_chart_without_data_shows_a_message_instead_of_empty_axes(
    client, manager, frozen_today, language, empty
):
    # given an empty book: no rate to compute, no cancellation, no retention offer
    manager.language = language
    manager.save()
    client.force_login(manager)

    html = client.get(reverse("staff-home")).content.decode()

    for source in ("chart-rates", "chart-cancellations", "chart-save_rate"):
        assert f'data-source="{source}"' not in html
    assert html.count(f'data-chart-empty="1">{empty}</p>') == 3

    # given one active contract: a churn rate of 0 % is a figure, zero cancellations and
    # no offer shown are not
    ContractFactory(customer=CustomerFactory(account_manager=manager), status="active")
    charts = client.get(reverse("staff-home")).context["charts"]
    assert {key: spec["empty"] for key, spec in charts.items()} == {
        "rates": False,
        "cancellations": True,
        "save_rate": True,
    }


def test_a_chart_with_data_is_drawn_and_one_without_is_not(client, book):
    # the book has renewals and cancellations with offers shown
    client.force_login(book.manager)
    charts = client.get(reverse("staff-home")).context["charts"]

    assert {key: spec["empty"] for key, spec in charts.items()} == {
        "rates": False,
        "cancellations": False,
        "save_rate": False,
    }
    html = client.get(reverse("staff-home")).content.decode()
    assert 'data-source="chart-cancellations"' in html
    assert "data-chart-empty" not in html
