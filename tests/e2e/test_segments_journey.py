"""Saved segments in a real browser: a manager builds a segment by tag and tier, previews
it, saves it, opens the customer list filtered by it and exports it as CSV."""

from __future__ import annotations

import csv
import io
import re

import pytest

from relations.models import Segment
from tests.factories import CustomerFactory, StaffFactory

pytestmark = pytest.mark.e2e

PASSWORD = "pw-Secret-123"


def test_a_manager_builds_saves_and_uses_a_segment(
    page, live_server, transactional_db, screenshot, staff_login
):
    # given: Alice's book with tier A and B vips and a plain tier A customer; Bob's vip
    alice = StaffFactory(username="alice", first_name="Alice", language="en")
    bob = StaffFactory(username="bob")
    CustomerFactory(account_manager=alice, name="Lotus Tea House", tier="A", tags="VIP, retail")
    CustomerFactory(account_manager=alice, name="Pearl Cloud", tier="A", tags="vip")
    CustomerFactory(account_manager=alice, name="Jade Print", tier="B", tags="vip")
    CustomerFactory(account_manager=alice, name="Plain Works", tier="A")
    CustomerFactory(account_manager=bob, name="Bob's Vip", tier="A", tags="vip")

    # when: she builds "tier A, tag vip" and previews it
    staff_login(page, live_server, username="alice", password=PASSWORD)
    page.goto(f"{live_server.url}/staff/relations/segments/")
    page.get_by_role("link", name="New segment").click()
    criteria = page.locator("#segment-criteria-form")
    criteria.get_by_label("Tier A").check()
    criteria.get_by_label("Tags", exact=True).fill("vip")
    criteria.get_by_role("button", name="Preview").click()

    # then: the preview shows her two tier A vips only
    members = page.locator("#segment-members")
    assert members.locator("[data-member-count]").inner_text() == "2"
    assert members.get_by_text("Lotus Tea House").is_visible()
    assert members.get_by_text("Pearl Cloud").is_visible()
    assert members.get_by_text("Jade Print").count() == 0
    assert members.get_by_text("Bob's Vip").count() == 0
    screenshot(page, "segment-preview")

    # when: she saves it
    save = page.locator("#segment-save-form")
    save.get_by_label("Name", exact=True).fill("Tier A vips")
    save.get_by_role("button", name="Save segment").click()
    page.wait_for_url(re.compile(r".*/staff/relations/segments/\d+/$"))
    assert page.get_by_text("Segment “Tier A vips” saved.").is_visible()
    segment = Segment.objects.get(owner=alice)
    assert segment.criteria["tiers"] == ["A"] and segment.criteria["tags"] == ["vip"]

    # and opens the customer list filtered by it
    page.get_by_role("link", name="Open in the customer list").click()
    page.wait_for_url(re.compile(rf".*/staff/customers/\?segment={segment.pk}$"))
    rows = page.locator("table.customer-table tbody tr")
    assert rows.count() == 2
    assert page.locator("select[name=segment]").input_value() == str(segment.pk)
    screenshot(page, "segment-customer-list")

    # and exports it
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    path = download_info.value.path()
    text = open(path, encoding="utf-8-sig").read()
    exported = list(csv.reader(io.StringIO(text)))
    assert sorted(r[1] for r in exported[1:]) == ["Lotus Tea House", "Pearl Cloud"]
    assert exported[0][-1] == "Tags"
    assert not page.js_errors
