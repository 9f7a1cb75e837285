"""An account manager's day in a real browser (Debian's Chromium, headless)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from contracts import services
from contracts.services import LineSpec
from tests.factories import CustomerFactory, StaffFactory

pytestmark = pytest.mark.e2e

PASSWORD = "pw-Secret-123"


def _active_contract(*, customer, by, days_left: int, price: str):
    today = timezone.localdate()
    contract = services.contract_create_draft(
        customer=customer,
        by=by,
        start_date=today - dt.timedelta(days=365 - days_left),
        end_date=today + dt.timedelta(days=days_left),
        lines=[
            LineSpec(
                description="Cloud storage 1 TB", quantity=Decimal(1), unit_price=Decimal(price)
            )
        ],
    )
    services.contract_send_for_signature(contract=contract, by=by)
    services.contract_record_signature(contract=contract, by=by)
    services.contract_record_first_payment(contract=contract, by=by)
    return contract


def test_an_account_manager_finds_a_contract_ending_soon_and_reads_its_timeline(
    page, live_server, transactional_db, screenshot, staff_login
):
    # given: Alice's book with one contract ending in 12 days and one in 120 days
    alice = StaffFactory(username="alice", first_name="Alice", last_name="Wang", language="en")
    customer = CustomerFactory(account_manager=alice, name="Shanghai Cloud Ltd")
    soon = _active_contract(customer=customer, by=alice, days_left=12, price="36000.00")
    later = _active_contract(customer=customer, by=alice, days_left=120, price="12000.00")

    # when: she logs in and filters contracts ending within 30 days
    staff_login(page, live_server, username="alice", password=PASSWORD)
    page.get_by_role("link", name="Contracts", exact=True).first.click()
    page.wait_for_url(re.compile(r".*/staff/contracts/"))
    page.fill("input[name=ending_within]", "30")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r".*ending_within=30.*"))

    # then: only the contract ending soon is listed
    table = page.locator("table.contract-table")
    assert table.get_by_text(soon.number).is_visible()
    assert table.get_by_text(later.number).count() == 0
    screenshot(page, "staff-contracts-ending-within-30")

    # when: she opens it
    table.get_by_role("link", name=soon.number).click()
    page.wait_for_url(re.compile(rf".*/staff/contracts/{soon.pk}/$"))

    # then: its timeline shows every event, newest first, with who did it
    timeline = page.locator("#timeline")
    items = timeline.locator(".timeline-item")
    assert items.count() == 4
    assert "First payment recorded" in items.nth(0).inner_text()
    assert "Awaiting payment → Active" in items.nth(0).inner_text()
    assert "Draft created" in items.nth(3).inner_text()
    assert "Alice Wang" in timeline.inner_text()
    path = screenshot(page, "staff-contract-timeline")
    assert path.exists() and path.stat().st_size > 0
    assert page.js_errors == []
