"""Every staff page renders in a real browser without a script error or a
Content-Security-Policy violation, in English and in Chinese; screenshots go to
test-artifacts/ for a human look."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from contracts import services
from contracts.services import LineSpec
from core.models import Task
from tests.factories import ContactFactory, CustomerFactory, PlanFactory, StaffFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def alices_book(transactional_db):
    alice = StaffFactory(username="alice", first_name="Alice", last_name="Wang", language="en")
    today = timezone.localdate()
    plan = PlanFactory(name="Cloud Storage Pro", code="CSP")
    customers = [
        CustomerFactory(account_manager=alice, name=name, tier=tier)
        for name, tier in [
            ("Shanghai Cloud Ltd", "A"),
            ("北京星河科技有限公司", "B"),
            ("Müller & Partner GmbH", "C"),
        ]
    ]
    for customer in customers:
        ContactFactory(customer=customer, name="Li Wei", phone="13800000000")
    drafts = []
    for i, customer in enumerate(customers):
        contract = services.contract_create_draft(
            customer=customer,
            by=alice,
            plan=plan,
            start_date=today - dt.timedelta(days=300),
            end_date=today + dt.timedelta(days=20 + 40 * i),
            lines=[
                LineSpec(
                    description="Storage 1 TB", quantity=Decimal(2), unit_price=Decimal("9000")
                ),
                LineSpec(description="Support", quantity=Decimal(1), unit_price=Decimal("3000")),
            ],
        )
        drafts.append(contract)
    for contract in drafts[1:]:
        services.contract_send_for_signature(contract=contract, by=alice)
        services.contract_record_signature(contract=contract, by=alice)
        services.contract_record_first_payment(contract=contract, by=alice)
    Task.objects.create(
        assignee=alice,
        kind="follow_up",
        title="Call Li Wei about the renewal",
        due_date=today - dt.timedelta(days=1),
        customer=customers[0],
        contract=drafts[0],
    )
    Task.objects.create(
        assignee=alice,
        kind="reminder",
        title="Send the quote",
        due_date=today + dt.timedelta(days=3),
    )
    return {"alice": alice, "customers": customers, "draft": drafts[0], "active": drafts[1]}


def test_every_staff_page_renders_cleanly_in_both_languages(
    page, live_server, alices_book, screenshot, staff_login
):
    page.goto(f"{live_server.url}/staff/login/")
    screenshot(page, "staff-00-login")
    staff_login(page, live_server, username="alice", password="pw-Secret-123")
    customer = alices_book["customers"][0]
    pages = {
        "01-dashboard": "/staff/",
        "02-customers": "/staff/customers/",
        "03-customer-detail": f"/staff/customers/{customer.pk}/",
        "04-customer-new": "/staff/customers/new/",
        "05-contracts": "/staff/contracts/",
        "06-contract-draft": f"/staff/contracts/{alices_book['draft'].pk}/",
        "07-contract-active": f"/staff/contracts/{alices_book['active'].pk}/",
        "08-contract-new": f"/staff/contracts/new/?customer={customer.pk}",
        "09-contract-edit": f"/staff/contracts/{alices_book['draft'].pk}/edit/",
        "10-tasks": "/staff/tasks/",
        "12-due-contacts": "/staff/relations/contacts/",
        "13-team-tasks": "/staff/relations/team/tasks/",
        "14-segments": "/staff/relations/segments/",
        "15-segment-new": "/staff/relations/segments/new/",
        "16-campaigns": "/staff/relations/campaigns/",
        "17-campaign-new": "/staff/relations/campaigns/new/",
        "18-claims": "/staff/relations/claims/",
        "19-online-payments": "/staff/payments/attempts/",
    }
    for name, path in pages.items():
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        screenshot(page, f"staff-{name}")

    # A form sent with errors shows them next to the fields.
    page.goto(f"{live_server.url}/staff/customers/new/")
    page.click("button[type=submit]:has-text('Create customer')")
    assert page.locator(".invalid-feedback").count() >= 2
    screenshot(page, "staff-11-customer-new-errors")

    # "Add line" adds a row to the draft form (static JS, no inline script).
    page.goto(f"{live_server.url}/staff/contracts/{alices_book['draft'].pk}/edit/")
    rows = page.locator(".js-line-rows tr").count()
    page.click(".js-add-line")
    assert page.locator(".js-line-rows tr").count() == rows + 1

    # The language switcher turns the interface into Chinese.
    page.goto(f"{live_server.url}/staff/")
    page.select_option("#language-select-staff", "zh-hans")
    page.wait_for_load_state("load")
    # A selector, not wait_for_function: a string predicate is evaluated as script, which
    # the Content Security Policy reports as a console error (unsafe-eval).
    page.locator("html[lang='zh-hans']").wait_for(state="attached")
    assert "客户" in page.locator("nav.staff-navbar").inner_text()
    screenshot(page, "staff-20-dashboard-zh")
    for name in ("02-customers", "05-contracts", "07-contract-active", "03-customer-detail"):
        page.goto(live_server.url + pages[name])
        screenshot(page, f"staff-2{name[1]}-{name[3:]}-zh")

    assert page.js_errors == []
    assert re.search(r"/staff/", page.url)
