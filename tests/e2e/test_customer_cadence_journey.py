"""A customer's own contact cadence set by the account manager from the customer page, in
Debian's Chromium (issue 16 point 1, "overridable per customer"; the admin way is walked in
test_contact_plan_journey.py):

the customer page's "Contact plan" card leads to the plan; the tier's call every 30 days is
shown; a refused number says why beside the field; a call every 14 days is set for the
customer and visits switched off; the morning sweep plans by it; the call goes back to the
tier's plan; the page in Chinese; another manager's customer answers 404.

Dates: the clock is moved to 10:00 in Shanghai on 15 March 2027 (``tick=True``: the live
server and the browser need a moving clock); the sweep gets the date explicitly.

Screenshots: test-artifacts/customer-cadence-*.png.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine

from contracts.models import ContractStatus
from insights.models import Interaction, InteractionKind
from relations.contact_plans import contact_plan_sweep
from relations.models import ContactCadence, PlannedContact
from tests.factories import ContractFactory, CustomerFactory, StaffFactory

pytestmark = pytest.mark.e2e

PASSWORD = "pw-Secret-123"
SH = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2027, 3, 15)


@pytest.fixture
def today(transactional_db) -> Iterator[dt.date]:
    start = dt.datetime.combine(TODAY, dt.time(10), tzinfo=SH)
    with time_machine.travel(start, tick=True):
        yield TODAY


def in_care(manager, name: str):
    customer = CustomerFactory(account_manager=manager, name=name, tier="A")
    ContractFactory(
        customer=customer, status=ContractStatus.ACTIVE, end_date=TODAY + dt.timedelta(days=200)
    )
    return customer


def test_an_account_manager_sets_a_customer_cadence_on_the_customer_page(
    page, live_server, today, screenshot, staff_login
):
    # given: tier A is called every 30 days and visited every 3 months; Lotus (tier A,
    # Alice's) was last called 20 days ago
    alice = StaffFactory(username="alice", first_name="Alice", last_name="Wang")
    bob = StaffFactory(username="bob", first_name="Bob", last_name="Li")
    ContactCadence.objects.create(tier="A", kind="call", every=30, unit="days", lead_days=7)
    ContactCadence.objects.create(tier="A", kind="visit", every=3, unit="months")
    lotus = in_care(alice, "Lotus Tea House")
    pine = in_care(bob, "Pine Foods")
    last_call = today - dt.timedelta(days=20)
    Interaction.objects.create(
        customer=lotus,
        kind=InteractionKind.CALL,
        at=dt.datetime.combine(last_call, dt.time(11), tzinfo=SH),
        summary="Checked in.",
        by=alice,
    )

    # when: Alice opens Lotus's page and its contact plan
    staff_login(page, live_server, username="alice", password=PASSWORD)
    page.goto(f"{live_server.url}/staff/customers/{lotus.pk}/")
    card = page.locator("#contact-plan")
    assert card.get_by_role("heading", name="Contact plan").is_visible()
    card.get_by_role("link", name="Open the contact plan").click()
    page.wait_for_url(re.compile(rf".*/staff/relations/customers/{lotus.pk}/contact-plan/$"))

    # then: the tier's cadences, and nothing of the customer's own yet
    assert page.get_by_role("heading", name="Contact plan of Lotus Tea House").is_visible()
    call = page.locator("#cadence-call")
    assert call.locator("[data-cell=tier]").inner_text() == "every 30 days, planned 7 days ahead"
    assert call.locator("[data-cell=override]").inner_text() == "As the tier"
    assert page.locator("#cadence-review [data-cell=tier]").inner_text() == "Not planned"
    screenshot(page, "customer-cadence-1-tier")

    # when: she asks for a call every 0 days
    call.get_by_label("Every").fill("0")
    call.get_by_role("button", name="Set for this customer").click()
    # then: refused, the reason beside the field, nothing saved
    call = page.locator("#cadence-call")
    assert call.locator("#id_call-every-error").inner_text() == "Enter a number from 1 to 3650."
    assert call.get_by_label("Every").get_attribute("aria-invalid") == "true"
    assert not ContactCadence.objects.filter(customer=lotus).exists()
    screenshot(page, "customer-cadence-2-refused")

    # when: she sets a call every 14 days, planned 3 days ahead, and switches visits off
    call.get_by_label("Every").fill("14")
    call.get_by_label("Planned ahead (days)").fill("3")
    call.get_by_label("Estimate (minutes)").fill("20")
    call.get_by_role("button", name="Set for this customer").click()
    page.wait_for_url(re.compile(r".*/contact-plan/$"))
    assert page.locator(".alert-success", has_text="Call plan for Lotus Tea House saved.").count()
    visit = page.locator("#cadence-visit")
    visit.get_by_label("No contacts of this kind for this customer").check()
    visit.get_by_role("button", name="Set for this customer").click()
    page.wait_for_url(re.compile(r".*/contact-plan/$"))

    # then: the page shows the customer's own plan beside the tier's
    call = page.locator("#cadence-call")
    assert (
        call.locator("[data-cell=override]").inner_text() == "every 14 days, planned 3 days ahead"
    )
    assert page.locator("#cadence-visit [data-cell=override]").inner_text() == (
        "Off for this customer"
    )
    screenshot(page, "customer-cadence-3-set")

    # and the morning sweep plans Lotus's call by it: due 14 days after the last call, no visit
    contact_plan_sweep(as_of=today)
    planned = PlannedContact.objects.get(customer=lotus)
    assert (planned.kind, planned.due_date) == ("call", last_call + dt.timedelta(days=14))
    assert planned.task.estimate_minutes == 20

    # when: she puts the call back on the tier's plan
    page.locator("#cadence-call").get_by_role("button", name="Back to the tier's plan").click()
    page.wait_for_url(re.compile(r".*/contact-plan/$"))
    # then: the tier's plan applies to calls again; visits stay off
    assert page.locator("#cadence-call [data-cell=override]").inner_text() == "As the tier"
    assert list(ContactCadence.objects.filter(customer=lotus).values_list("kind", "active")) == [
        ("visit", False)
    ]

    # and in Chinese
    page.select_option("#language-select-staff", "zh-hans")
    page.locator("html[lang='zh-hans']").wait_for(state="attached")
    assert page.get_by_role("heading", name="Lotus Tea House 的联系计划").is_visible()
    assert page.locator("#cadence-call [data-cell=tier]").inner_text() == "每 30 天，提前 7 天安排"
    assert page.locator("#cadence-visit [data-cell=override]").inner_text() == "该客户已关闭"
    screenshot(page, "customer-cadence-4-zh")

    # and Bob's customer is not hers to plan
    response = page.goto(f"{live_server.url}/staff/relations/customers/{pine.pk}/contact-plan/")
    assert response is not None and response.status == 404
    # the browser logs the refused form (400) and this 404 as failed loads, nothing else
    assert [re.sub(r".*status of (\d+).*", r"\1", e) for e in page.js_errors] == ["400", "404"]
