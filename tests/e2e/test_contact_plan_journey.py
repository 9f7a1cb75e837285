"""Contact plans and team work in Debian's Chromium (issue 16, points 1 and 2), the parts
test_relations_journey.py does not walk:

1. an administrator sets a per-customer cadence in the admin (the UI cadences are kept in);
   the daily sweep plans that customer's call by it, not by the tier's, and the due list
   shows it overdue while a customer of the same tier waits for the tier's cadence;
2. "not contacted in N days": the dashboard figure counts the customers the list it links
   to shows; the customer list's filter keeps the same customers; a note is no contact;
3. a team lead's due-and-overdue contact list holds the team's contacts (overdue first,
   filterable by manager), not another team's; in English and Chinese;
4. a task completed with its outcome on the team tasks page: the outcome is stored and
   shown to the team lead under "Recently done".

Dates: the clock is moved to a fixed day (10:00 in Shanghai on 15 March 2027) with
time_machine and runs on from there (``tick=True``: the browser's timers and the live
server's requests need a moving clock); time_machine patches the clock of the whole process,
the live server's thread included, so the pages' "today" is that day. The sweep gets the
date explicitly, as the beat passes it.

Screenshots: test-artifacts/contact-plan-*.png.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine

from contracts.models import ContractStatus
from core.models import Task, TaskKind
from core.services import task_complete, task_create
from insights.models import Interaction, InteractionKind
from relations.contact_plans import contact_plan_sweep
from relations.models import ContactCadence, PlannedContact, PlannedContactStatus
from tests.e2e.dates import english_date
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


def in_care(manager, name: str, tier: str = "A"):
    """A customer of ``manager`` with a contract in force (the sweep plans only those)."""
    customer = CustomerFactory(account_manager=manager, name=name, tier=tier)
    ContractFactory(
        customer=customer, status=ContractStatus.ACTIVE, end_date=TODAY + dt.timedelta(days=200)
    )
    return customer


def contacted(customer, kind: str, day: dt.date, summary: str = "Spoke about the service."):
    Interaction.objects.create(
        customer=customer,
        kind=kind,
        at=dt.datetime.combine(day, dt.time(11), tzinfo=SH),
        summary=summary,
        by=customer.account_manager,
    )


def to_chinese(page) -> None:
    page.select_option("#language-select-staff", "zh-hans")
    # A selector, not wait_for_function: a string predicate is evaluated as script, which
    # the pages' Content Security Policy reports as a console error.
    page.locator("html[lang='zh-hans']").wait_for(state="attached")


def test_a_customer_cadence_set_in_the_admin_wins_over_the_tier_cadence(
    page, live_server, today, screenshot, staff_login
):
    # given: tier A customers are called every 3 months; Lotus and Jade (both tier A) were
    # last called four weeks ago, so by the tier the next call is due in June
    admin = StaffFactory(username="root", first_name="Ada", last_name="Admin", is_superuser=True)
    alice = StaffFactory(username="alice", first_name="Alice", last_name="Wang")
    ContactCadence.objects.create(tier="A", kind="call", every=3, unit="months", lead_days=14)
    lotus = in_care(alice, "Lotus Tea House")
    jade = in_care(alice, "Jade Print")
    last_call = today - dt.timedelta(days=28)
    contacted(lotus, InteractionKind.CALL, last_call)
    contacted(jade, InteractionKind.CALL, last_call)

    # when: the administrator gives Lotus a call every 2 weeks in the admin
    staff_login(page, live_server, username=admin.username, password=PASSWORD)
    page.goto(f"{live_server.url}/admin/relations/contactcadence/add/")
    page.locator(".field-customer .select2-selection").click()
    page.locator(".select2-search__field").fill("Lotus")
    page.locator(".select2-results__option", has_text="Lotus Tea House").click()
    page.select_option("#id_kind", "call")
    page.select_option("#id_unit", "days")
    page.fill("#id_every", "14")
    page.fill("#id_lead_days", "7")
    page.fill("#id_estimate_minutes", "25")
    screenshot(page, "contact-plan-1-admin-override")
    page.locator("input[name=_save]").click()
    page.wait_for_url(re.compile(r".*/admin/relations/contactcadence/$"))
    assert page.locator(".messagelist .success").count() == 1
    override = ContactCadence.objects.get(customer=lotus)
    assert (override.tier, override.kind, override.every, override.unit) == ("", "call", 14, "days")

    # and the morning sweep runs (the beat passes the business date)
    contact_plan_sweep(as_of=today)

    # then: Lotus's call is planned by its own cadence (due two weeks after the last call,
    # so overdue), Jade's is not planned yet (by the tier it is due in June)
    planned = PlannedContact.objects.get(customer=lotus, kind="call")
    assert planned.due_date == last_call + dt.timedelta(days=14)
    assert planned.task.estimate_minutes == 25
    assert not PlannedContact.objects.filter(customer=jade).exists()

    # and the account manager sees it overdue in her due list, the only one
    page.context.clear_cookies()
    staff_login(page, live_server, username="alice", password=PASSWORD)
    page.goto(f"{live_server.url}/staff/relations/contacts/")
    rows = page.locator("#due-contacts tbody tr")
    assert rows.count() == 1
    row = rows.first
    assert "Lotus Tea House" in row.inner_text()
    assert row.locator("td").nth(0).inner_text() == f"{english_date(planned.due_date)} Overdue"
    assert row.locator("td").nth(2).inner_text() == "Call"
    assert row.locator("td").nth(3).inner_text() == english_date(last_call)
    screenshot(page, "contact-plan-2-due-by-override")
    assert page.js_errors == []


def test_not_contacted_in_n_days_on_the_dashboard_and_the_customer_list(
    page, live_server, today, screenshot, staff_login
):
    # given: Alice's customers in care: Lotus last called 100 days ago, Jade never contacted
    # (only a note, which is no contact), Plum visited 10 days ago; Bob's Pine never contacted
    alice = StaffFactory(username="alice", first_name="Alice", last_name="Wang")
    bob = StaffFactory(username="bob", first_name="Bob", last_name="Li")
    lotus = in_care(alice, "Lotus Tea House")
    jade = in_care(alice, "Jade Print", tier="B")
    plum = in_care(alice, "Plum Logistics", tier="C")
    in_care(bob, "Pine Foods")
    contacted(lotus, InteractionKind.CALL, today - dt.timedelta(days=100))
    contacted(jade, InteractionKind.NOTE, today - dt.timedelta(days=2), "Internal note only.")
    contacted(plum, InteractionKind.VISIT, today - dt.timedelta(days=10))

    # when: she opens her dashboard
    staff_login(page, live_server, username="alice", password=PASSWORD)
    card = page.locator("#relationship-figures .card", has_text="Not contacted in 90 days")
    # then: two of her customers were not contacted in the default 90 days
    assert card.locator("[data-metric=not-contacted]").inner_text() == "2"
    screenshot(page, "contact-plan-3-dashboard")

    # when: she follows the figure's link
    card.get_by_role("link", name="View").click()
    page.wait_for_url(re.compile(r".*/staff/relations/not-contacted/\?days=90$"))
    # then: the same two, never contacted first, and the count says so
    assert page.get_by_role("heading", name="Customers not contacted in 90 days").is_visible()
    assert page.locator(".card-header .badge").inner_text() == "2"
    rows = page.locator("#not-contacted tbody tr")
    assert [r.locator("td").first.inner_text() for r in rows.all()] == [
        "Jade Print",
        "Lotus Tea House",
    ]
    assert rows.nth(0).locator("td").nth(2).inner_text() == "Never"
    assert rows.nth(1).locator("td").nth(2).inner_text() == english_date(
        today - dt.timedelta(days=100)
    )
    screenshot(page, "contact-plan-4-not-contacted")

    # when: on the customer list she filters "not contacted in 90 days"
    page.goto(f"{live_server.url}/staff/customers/")
    assert page.locator(".customer-table tbody tr").count() == 3
    page.get_by_label("Not contacted in (days)").fill("90")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r".*not_contacted=90.*"))
    # then: the same customers as the dashboard counted
    names = page.locator(".customer-table tbody tr td:nth-child(2) a").all_inner_texts()
    assert sorted(names) == ["Jade Print", "Lotus Tea House"]
    # and over 5 days the visit ten days ago no longer counts
    page.get_by_label("Not contacted in (days)").fill("5")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r".*not_contacted=5.*"))
    names = page.locator(".customer-table tbody tr td:nth-child(2) a").all_inner_texts()
    assert sorted(names) == ["Jade Print", "Lotus Tea House", "Plum Logistics"]
    screenshot(page, "contact-plan-5-customer-list")

    # and in Chinese: the dashboard figure and the list it links to
    to_chinese(page)
    page.goto(f"{live_server.url}/staff/")
    card = page.locator(
        "#relationship-figures .card", has=page.locator("[data-metric=not-contacted]")
    )
    assert "90" in card.locator(".stat-label").inner_text()
    assert card.locator("[data-metric=not-contacted]").inner_text() == "2"
    card.locator("a").click()
    page.wait_for_url(re.compile(r".*/staff/relations/not-contacted/\?days=90$"))
    assert (
        page.locator("#not-contacted tbody tr").nth(0).locator("td").nth(2).inner_text() == "从未"
    )
    screenshot(page, "contact-plan-6-not-contacted-zh")
    assert page.js_errors == []


def test_a_team_lead_sees_the_teams_due_and_overdue_contacts(
    page, live_server, today, screenshot, staff_login
):
    # given: Li leads Ann and Bob; Carl is in no team of hers. Tier A: a call every 30 days
    li = StaffFactory(username="li", first_name="Li", last_name="Lead")
    ann = StaffFactory(username="ann", first_name="Ann", last_name="Zhao", team_lead=li)
    bob = StaffFactory(username="bob", first_name="Bob", last_name="Qian", team_lead=li)
    carl = StaffFactory(username="carl", first_name="Carl", last_name="Sun")
    ContactCadence.objects.create(tier="A", kind="call", every=30, unit="days", lead_days=14)
    lotus = in_care(ann, "Lotus Tea House")  # called 40 days ago: 10 days overdue
    jade = in_care(bob, "Jade Print")  # called 20 days ago: due in 10 days
    plum = in_care(carl, "Plum Logistics")  # never called: due today, but Carl's
    contacted(lotus, InteractionKind.CALL, today - dt.timedelta(days=40))
    contacted(jade, InteractionKind.CALL, today - dt.timedelta(days=20))
    contact_plan_sweep(as_of=today)
    assert PlannedContact.objects.filter(status=PlannedContactStatus.PLANNED).count() == 3
    assert PlannedContact.objects.filter(customer=plum).exists()

    # when: Li opens the due contacts from her dashboard
    staff_login(page, live_server, username="li", password=PASSWORD)
    figures = page.locator("#relationship-figures")
    assert figures.locator("[data-metric=due-contacts]").inner_text() == "2"
    assert figures.locator("[data-metric=overdue-contacts]").inner_text() == "1 overdue"
    figures.locator(".card", has_text="Contacts due").get_by_role("link", name="View").click()
    page.wait_for_url(re.compile(r".*/staff/relations/contacts/$"))

    # then: her team's two contacts, the overdue one first, each with its manager
    assert page.get_by_text("Your team's customers").is_visible()
    rows = page.locator("#due-contacts tbody tr")
    assert rows.count() == 2
    first, second = rows.nth(0), rows.nth(1)
    assert "Lotus Tea House" in first.inner_text() and "Overdue" in first.inner_text()
    assert first.locator("td").nth(4).inner_text() == "Ann Zhao"
    assert (
        first.locator("td")
        .nth(0)
        .inner_text()
        .startswith(english_date(today - dt.timedelta(days=10)))
    )
    assert "Jade Print" in second.inner_text() and "Overdue" not in second.inner_text()
    assert second.locator("td").nth(4).inner_text() == "Bob Qian"
    assert "Plum Logistics" not in page.locator("#due-contacts").inner_text()
    screenshot(page, "contact-plan-7-team-due")

    # when: she narrows it to Bob's customers
    page.get_by_label("Account manager").select_option(str(bob.pk))
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(rf".*manager={bob.pk}.*"))
    assert page.locator("#due-contacts tbody tr").all_inner_texts()[0].count("Jade Print") == 1
    assert page.locator("#due-contacts tbody tr").count() == 1
    # Carl is not someone she can filter by.
    options = page.get_by_label("Account manager").locator("option").all_inner_texts()
    assert "Carl Sun" not in options

    # and in Chinese
    to_chinese(page)
    page.goto(f"{live_server.url}/staff/relations/contacts/")
    assert page.locator("h1").inner_text() == "待联系客户（到期与逾期）"
    assert page.get_by_text("您团队的客户").is_visible()
    first = page.locator("#due-contacts tbody tr").first
    assert "逾期" in first.inner_text() and "电话" in first.inner_text()
    screenshot(page, "contact-plan-8-team-due-zh")
    assert page.js_errors == []


def test_a_task_completed_with_its_outcome_shows_the_outcome_to_the_team_lead(
    page, live_server, today, screenshot, staff_login
):
    # given: Ann (in Li's team) has a follow-up due today
    li = StaffFactory(username="li", first_name="Li", last_name="Lead")
    ann = StaffFactory(username="ann", first_name="Ann", last_name="Zhao", team_lead=li)
    customer = in_care(ann, "Lotus Tea House")
    task, _created = task_create(
        assignee=ann,
        kind=TaskKind.FOLLOW_UP,
        title="Call about the renewal price",
        due_date=today,
        customer=customer,
    )

    # and Carl, in no team of Li's, finished one of his own
    carl = StaffFactory(username="carl", first_name="Carl", last_name="Sun")
    other, _created = task_create(
        assignee=carl, kind=TaskKind.FOLLOW_UP, title="Carl's own call", due_date=today
    )
    task_complete(task=other, by=carl, outcome="Not for Li's eyes.")

    # when: Ann marks it done on the team tasks page with what came of it
    staff_login(page, live_server, username="ann", password=PASSWORD)
    page.goto(f"{live_server.url}/staff/relations/team/tasks/")
    row = page.locator(f"#team-tasks tr[data-task='{task.pk}']")
    row.get_by_placeholder("Outcome").fill("Agreed to renew for two years at the list price.")
    row.get_by_role("button", name="Done").click()
    page.wait_for_url(re.compile(r".*/staff/relations/team/tasks/"))
    assert page.get_by_text("Task “Call about the renewal price” marked as done.").is_visible()

    # then: the task is done by her with the outcome, and no longer open
    task.refresh_from_db()
    assert task.done_at is not None and task.done_by == ann
    assert task.outcome == "Agreed to renew for two years at the list price."
    assert page.locator(f"#team-tasks tr[data-task='{task.pk}']").count() == 0
    assert not Task.objects.filter(assignee=ann, done_at__isnull=True).exists()

    # and her team lead reads the outcome under "Recently done"
    page.context.clear_cookies()
    staff_login(page, live_server, username="li", password=PASSWORD)
    page.goto(f"{live_server.url}/staff/relations/team/tasks/")
    done = page.locator(f"#team-tasks-done tr[data-task='{task.pk}']")
    assert done.locator("[data-cell=title]").inner_text().startswith("Call about the renewal price")
    assert done.locator("[data-cell=owner]").inner_text() == "Ann Zhao"
    assert (
        done.locator("[data-cell=outcome]").inner_text()
        == "Agreed to renew for two years at the list price."
    )
    assert page.locator("#team-tasks-done tbody tr").count() == 1
    assert "Not for Li's eyes." not in page.content()
    screenshot(page, "contact-plan-9-task-outcome")
    to_chinese(page)
    assert page.get_by_role("heading", name="最近完成").is_visible()
    assert page.locator("#team-tasks-done thead th").all_inner_texts()[-1] == "结果"
    screenshot(page, "contact-plan-10-task-outcome-zh")
    assert page.js_errors == []
