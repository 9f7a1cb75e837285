"""The dashboard in a real browser: charts drawn by the vendored Chart.js under the
Content-Security-Policy with no console error, tooltips, and a click-through."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from contracts.models import ContractStatus as S
from retention.models import CancellationRequest
from tests.factories import ContractFactory, CustomerFactory, StaffFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def lead_book(transactional_db):
    from django.contrib.auth.models import Permission

    lead = StaffFactory(username="lead", first_name="Lena", last_name="Lead")
    lead.user_permissions.add(Permission.objects.get(codename="view_all_books"))
    alice = StaffFactory(username="alice", first_name="Alice", last_name="Wang")
    customer = CustomerFactory(account_manager=alice, tier="A", name="=Evil Formula Ltd")
    today = timezone.localdate()
    for months_ago in range(1, 12):
        end = today - dt.timedelta(days=30 * months_ago)
        ContractFactory(
            customer=customer,
            status=S.RENEWED if months_ago % 3 else S.EXPIRED,
            start_date=end - dt.timedelta(days=364),
            end_date=end,
            annual_value=Decimal("10000"),
        )
    active = ContractFactory(customer=customer, end_date=today + dt.timedelta(days=12))
    CancellationRequest.objects.create(
        contract=active,
        customer=customer,
        kind="non_renewal",
        reason="price",
        sla_due_at=timezone.now() + dt.timedelta(days=2),
    )
    return lead


def test_the_dashboard_draws_its_charts_without_csp_errors(
    page, live_server, lead_book, staff_login, screenshot
):
    staff_login(page, live_server, username="lead", password="pw-Secret-123")
    page.wait_for_selector("canvas.js-chart[data-ready='1']")
    # Renewal rates and cancellations are drawn; no retention offer was shown, so the
    # save rate says "No data yet" instead of empty axes.
    assert page.locator("canvas.js-chart[data-ready='1']").count() == 2
    assert page.locator("[data-chart-empty]").all_inner_texts() == ["No data yet"]
    page.hover(".metric-help >> nth=0")
    page.wait_for_selector(".tooltip")
    screenshot(page, "insights-dashboard")
    assert page.js_errors == []
    page.click("[data-metric='expiring-30'] ~ a")
    page.wait_for_url("**/staff/contracts/**")
    assert "ending_within=30" in page.url
    assert page.locator("table tbody tr").count() == 1
    assert page.js_errors == []


def test_the_dashboard_in_chinese(page, live_server, lead_book, staff_login, screenshot):
    lead_book.language = "zh-hans"
    lead_book.save()
    staff_login(page, live_server, username="lead", password="pw-Secret-123")
    page.wait_for_selector("canvas.js-chart[data-ready='1']")
    screenshot(page, "insights-dashboard-zh")
    assert page.js_errors == []
