"""The staff dashboard on a laptop screen (1366 px): the 'By month' table fits its card
without scrolling, and a month whose retention offers were all declined (save rate 0 %)
is a visible point on a 0-100 % axis, not bare axes of 0-1 %."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Permission

from retention.models import CancellationRequest, OfferResponse
from tests.factories import ContractFactory, CustomerFactory, StaffFactory

pytestmark = pytest.mark.e2e

SH = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 12, 4, 10, 0, tzinfo=SH)
PASSWORD = "pw-Secret-123"


@pytest.fixture
def browser_context_args() -> dict[str, Any]:
    return {"viewport": {"width": 1366, "height": 900}, "locale": "en-US"}


@pytest.fixture
def frozen() -> Iterator[None]:
    # tick=True: the browser and the live server need a moving clock.
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def declined_offers(transactional_db, frozen):
    lead = StaffFactory(username="lead", first_name="Lena", last_name="Lead")
    lead.user_permissions.add(Permission.objects.get(codename="view_all_books"))
    customer = CustomerFactory(account_manager=lead, tier="A")
    ContractFactory(
        customer=customer,
        status="renewed",
        start_date=dt.date(2025, 11, 10),
        end_date=dt.date(2026, 11, 9),
        annual_value=Decimal("10000"),
    )
    for day in (1, 2, 3):
        contract = ContractFactory(customer=customer, end_date=dt.date(2027, 3, day))
        CancellationRequest.objects.create(
            contract=contract,
            customer=customer,
            kind="early_termination",
            reason="price",
            sla_due_at=NOW + dt.timedelta(days=2),
            offer_shown_at=dt.datetime(2026, 12, day, 9, 0, tzinfo=SH),
            offer_response=OfferResponse.DECLINED,
        )
    return lead


def test_the_by_month_table_fits_its_card(page, live_server, declined_offers, staff_login):
    staff_login(page, live_server, username="lead", password=PASSWORD)
    widths = page.evaluate(
        """() => {
          const table = document.querySelector("table[data-table='monthly']");
          const box = table.closest(".table-responsive");
          return {table: table.scrollWidth, box: box.clientWidth};
        }"""
    )
    assert widths["table"] <= widths["box"], widths


def test_a_zero_save_rate_is_a_visible_point_on_a_0_to_100_axis(
    page, live_server, declined_offers, staff_login
):
    staff_login(page, live_server, username="lead", password=PASSWORD)
    page.wait_for_selector("canvas[data-source='chart-save_rate'][data-ready='1']")
    drawn = page.evaluate(
        """() => {
          const canvas = document.querySelector("canvas[data-source='chart-save_rate']");
          const chart = window.Chart.getChart(canvas);
          const last = chart.data.labels.length - 1;
          const point = chart.getDatasetMeta(0).data[last];
          const area = chart.chartArea;
          return {
            value: chart.data.datasets[0].data[last],
            max: chart.scales.y.max,
            radius: point.options.radius,
            height: point.height || 0,
            y: point.y,
            bottom: area.bottom,
          };
        }"""
    )
    assert drawn["value"] == 0
    assert drawn["max"] >= 100
    # A point with a radius (a bar of height 0 has none and cannot be seen), on the axis.
    assert drawn["radius"] > 0, drawn
    assert abs(drawn["y"] - drawn["bottom"]) < 1, drawn
    assert page.js_errors == []
