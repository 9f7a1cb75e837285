"""Relationship maintenance in a real browser: a manager works a due contact; a team lead
reassigns an overdue task to another member of the team."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from contracts.models import ContractStatus
from core.models import Task, TaskKind
from core.services import task_create
from relations.contact_plans import contact_plan_sweep
from relations.models import ContactCadence, PlannedContact, PlannedContactStatus
from tests.factories import ContractFactory, CustomerFactory, StaffFactory

pytestmark = pytest.mark.e2e

PASSWORD = "pw-Secret-123"


def test_a_manager_logs_a_due_call_and_it_leaves_the_due_list(
    page, live_server, transactional_db, screenshot, staff_login
):
    # given: a tier A customer never called, with a call cadence, planned by the sweep
    today = timezone.localdate()
    alice = StaffFactory(username="alice", first_name="Alice", language="en")
    customer = CustomerFactory(account_manager=alice, name="Shanghai Cloud Ltd", tier="A")
    ContractFactory(
        customer=customer, status=ContractStatus.ACTIVE, end_date=today + dt.timedelta(days=200)
    )
    ContactCadence.objects.create(tier="A", kind="call", every=30, unit="days")
    contact_plan_sweep(as_of=today)

    # when: she opens the due contacts and logs the call
    staff_login(page, live_server, username="alice", password=PASSWORD)
    page.goto(f"{live_server.url}/staff/relations/contacts/")
    row = page.locator("#due-contacts tbody tr", has_text="Shanghai Cloud Ltd")
    assert row.get_by_text("Call", exact=True).is_visible()
    screenshot(page, "relations-due-contacts")
    row.get_by_placeholder("What was said").fill("Happy with the service; renewal likely.")
    row.get_by_role("button", name="Log").click()
    page.wait_for_url(re.compile(r".*/staff/relations/contacts/"))

    # then: it is gone from the list, in the relationship log, and its task is done
    assert page.get_by_text("Call with Shanghai Cloud Ltd logged.").is_visible()
    assert page.locator("#due-contacts").count() == 0
    planned = PlannedContact.objects.get(customer=customer)
    assert planned.status == PlannedContactStatus.DONE
    assert planned.interaction.summary.startswith("Happy with the service")
    assert planned.task.done_at is not None
    assert not page.js_errors


def test_a_team_lead_reassigns_an_overdue_task(
    page, live_server, transactional_db, screenshot, staff_login
):
    # given: Li leads Ann and Bob; Ann has an overdue task
    today = timezone.localdate()
    li = StaffFactory(username="li", first_name="Li", last_name="Lead", language="en")
    ann = StaffFactory(username="ann", first_name="Ann", last_name="A", team_lead=li)
    bob = StaffFactory(username="bob", first_name="Bob", last_name="B", team_lead=li)
    task, _ = task_create(
        assignee=ann,
        kind=TaskKind.FOLLOW_UP,
        title="Send the renewal quote",
        due_date=today - dt.timedelta(days=3),
    )

    # when: Li opens the team tasks, sees Ann's overdue count and gives the task to Bob
    staff_login(page, live_server, username="li", password=PASSWORD)
    page.goto(f"{live_server.url}/staff/relations/team/tasks/")
    counts = page.locator(f"#owner-counts tr[data-owner='{ann.pk}']")
    assert counts.locator("[data-count=overdue]").inner_text() == "1"
    row = page.locator(f"#team-tasks tr[data-task='{task.pk}']")
    assert row.get_by_text("Overdue").is_visible()
    row.locator("select[name=assignee]").select_option(str(bob.pk))
    row.locator("input[name=estimate_minutes]").fill("30")
    row.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r".*/staff/relations/team/tasks/"))
    screenshot(page, "relations-team-tasks")

    # then: the task is Bob's, and the counts say so
    assert page.get_by_text("is now with Bob B").is_visible()
    task.refresh_from_db()
    assert (task.assignee, task.estimate_minutes) == (bob, 30)
    bob_counts = page.locator(f"#owner-counts tr[data-owner='{bob.pk}']")
    assert bob_counts.locator("[data-count=overdue]").inner_text() == "1"
    assert (
        page.locator(f"#owner-counts tr[data-owner='{ann.pk}'] [data-count=open]").inner_text()
        == "0"
    )
    assert Task.objects.filter(assignee=ann, done_at__isnull=True).count() == 0
    assert not page.js_errors
