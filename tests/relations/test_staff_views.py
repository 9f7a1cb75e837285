from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from core.models import Task, TaskKind
from core.services import task_create
from insights.models import Interaction
from relations.contact_plans import contact_plan_sweep
from relations.models import PlannedContact, PlannedContactStatus
from tests.factories import CustomerFactory, PortalAccountFactory, StaffFactory, UserFactory

from .conftest import at

pytestmark = pytest.mark.django_db
D = dt.date
TODAY = D(2028, 2, 29)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(at(TODAY, 11), tick=False):
        yield


@pytest.fixture
def teams():
    """Two teams: lead Li with Ann and Bob; lead Wu with Cat."""
    li = StaffFactory(username="li")
    ann = StaffFactory(username="ann", team_lead=li)
    bob = StaffFactory(username="bob", team_lead=li)
    wu = StaffFactory(username="wu")
    cat = StaffFactory(username="cat", team_lead=wu)
    return {"li": li, "ann": ann, "bob": bob, "wu": wu, "cat": cat}


OVERDUE = D(2028, 2, 20)


def task_for(user, due=OVERDUE, title="Call back"):
    return task_create(assignee=user, kind=TaskKind.FOLLOW_UP, title=title, due_date=due)[0]


# --- due contacts --------------------------------------------------------------------------


def test_a_manager_sees_their_due_contacts_and_logging_one_completes_it(
    client, teams, in_care, gold_cadences
):
    mine = in_care(teams["ann"], name="Acme")
    in_care(teams["cat"], name="Other team Co")
    contact_plan_sweep(as_of=TODAY)
    client.force_login(teams["ann"])

    page = client.get(reverse("relations:contacts"), {"kind": "call"})
    rows = list(page.context["page_obj"].object_list)
    assert [(p.customer.name, p.kind) for p in rows] == [("Acme", "call")]

    call = rows[0]
    response = client.post(
        reverse("relations:contact-log", args=[call.pk]), {"summary": "Renewal mood good"}
    )
    assert response.status_code == 302
    call.refresh_from_db()
    assert call.status == PlannedContactStatus.DONE
    assert call.interaction.kind == "call" and call.interaction.customer == mine
    assert call.task.done_at is not None and call.task.outcome == "Renewal mood good"
    after = client.get(reverse("relations:contacts"), {"kind": "call"})
    assert list(after.context["page_obj"].object_list) == []


def test_a_contact_logged_on_the_customer_page_leaves_the_list_at_once(
    client, teams, in_care, gold_cadences
):
    customer = in_care(teams["ann"])
    contact_plan_sweep(as_of=TODAY)
    Interaction.objects.create(customer=customer, kind="visit", at=at(TODAY, 9), summary="Met")
    client.force_login(teams["ann"])
    rows = client.get(reverse("relations:contacts")).context["page_obj"].object_list
    assert [p.kind for p in rows] == ["call"]


def test_logging_before_the_contact_counts_is_refused_with_a_message(
    client, teams, in_care, gold_cadences
):
    in_care(teams["ann"])
    contact_plan_sweep(as_of=TODAY)
    call = PlannedContact.objects.get(kind="call")
    client.force_login(teams["ann"])

    response = client.post(
        reverse("relations:contact-log", args=[call.pk]),
        {"summary": "Old call", "at": "2028-01-15T10:00"},
        follow=True,
    )

    assert "This contact counts from 2028-02-15" in response.content.decode()
    call.refresh_from_db()
    assert call.status == PlannedContactStatus.PLANNED
    assert not Interaction.objects.exists()


def test_a_lead_sees_the_team_and_filters_by_not_contacted_days(
    client, teams, in_care, gold_cadences
):
    ann_customer = in_care(teams["ann"], name="Recent")
    in_care(teams["bob"], name="Silent")
    in_care(teams["cat"], name="Elsewhere")
    Interaction.objects.create(
        customer=ann_customer, kind="email", at=at(D(2028, 2, 1)), summary="mail"
    )
    contact_plan_sweep(as_of=TODAY)
    client.force_login(teams["li"])

    names = {p.customer.name for p in client.get(reverse("relations:contacts")).context["page_obj"]}
    silent = {
        p.customer.name
        for p in client.get(reverse("relations:contacts"), {"not_contacted": 60}).context[
            "page_obj"
        ]
    }
    not_contacted = client.get(reverse("relations:not-contacted"), {"days": 60})

    assert names == {"Recent", "Silent"}
    assert silent == {"Silent"}
    assert [c.name for c in not_contacted.context["page_obj"]] == ["Silent"]


def test_a_manager_cannot_log_or_skip_another_teams_contact(client, teams, in_care, gold_cadences):
    in_care(teams["cat"])
    contact_plan_sweep(as_of=TODAY)
    call = PlannedContact.objects.get(kind="call")
    client.force_login(teams["ann"])

    assert (
        client.post(reverse("relations:contact-log", args=[call.pk]), {"summary": "x"}).status_code
        == 404
    )
    assert (
        client.post(reverse("relations:contact-skip", args=[call.pk]), {"reason": "x"}).status_code
        == 404
    )
    call.refresh_from_db()
    assert call.status == PlannedContactStatus.PLANNED


def test_skipping_needs_a_reason_and_plans_the_next_from_its_date(
    client, teams, in_care, gold_cadences
):
    in_care(teams["ann"])
    contact_plan_sweep(as_of=TODAY)
    call = PlannedContact.objects.get(kind="call")
    client.force_login(teams["ann"])

    client.post(reverse("relations:contact-skip", args=[call.pk]), {"reason": ""})
    call.refresh_from_db()
    assert call.status == PlannedContactStatus.PLANNED
    client.post(reverse("relations:contact-skip", args=[call.pk]), {"reason": "Asked for fewer"})
    call.refresh_from_db()
    assert call.status == PlannedContactStatus.SKIPPED
    contact_plan_sweep(as_of=D(2028, 3, 15))  # the next call opens on 16 March
    assert not PlannedContact.objects.filter(kind="call", status="planned").exists()
    contact_plan_sweep(as_of=D(2028, 3, 16))
    assert PlannedContact.objects.get(kind="call", status="planned").due_date == D(2028, 3, 30)


# --- team tasks ----------------------------------------------------------------------------


def test_a_lead_sees_the_teams_tasks_with_counts_by_owner(client, teams):
    task_for(teams["ann"])  # overdue
    task_for(teams["ann"], due=D(2028, 3, 5))
    task_for(teams["bob"], due=D(2028, 3, 1))
    task_for(teams["cat"])  # another team
    client.force_login(teams["li"])

    response = client.get(reverse("relations:team-tasks"))

    assert {t.assignee.username for t in response.context["page_obj"]} == {"ann", "bob"}
    counts = {c.owner.username: (c.open, c.overdue) for c in response.context["counts"]}
    assert counts == {"ann": (2, 1), "bob": (1, 0), "li": (0, 0)}
    overdue = client.get(reverse("relations:team-tasks"), {"overdue": "1"})
    assert [t.assignee.username for t in overdue.context["page_obj"]] == ["ann"]


def test_a_lead_reassigns_within_the_team_with_an_estimate(client, teams):
    task = task_for(teams["ann"])
    client.force_login(teams["li"])

    client.post(
        reverse("relations:task-reassign", args=[task.pk]),
        {"assignee": teams["bob"].pk, "estimate_minutes": "45"},
    )

    task.refresh_from_db()
    assert (task.assignee, task.estimate_minutes) == (teams["bob"], 45)


def test_a_lead_cannot_take_or_give_tasks_outside_the_team(client, teams):
    theirs = task_for(teams["cat"])
    ours = task_for(teams["ann"])
    client.force_login(teams["li"])

    assert (
        client.post(
            reverse("relations:task-reassign", args=[theirs.pk]), {"assignee": teams["bob"].pk}
        ).status_code
        == 404
    )
    client.post(reverse("relations:task-reassign", args=[ours.pk]), {"assignee": teams["cat"].pk})

    theirs.refresh_from_db()
    ours.refresh_from_db()
    assert (theirs.assignee, ours.assignee) == (teams["cat"], teams["ann"])


def test_a_manager_without_a_team_sees_only_their_tasks_and_cannot_reassign(client, teams):
    mine = task_for(teams["ann"])
    task_for(teams["bob"])
    client.force_login(teams["ann"])

    page = client.get(reverse("relations:team-tasks"))
    refused = client.post(
        reverse("relations:task-reassign", args=[mine.pk]), {"assignee": teams["bob"].pk}
    )

    assert [t.pk for t in page.context["page_obj"]] == [mine.pk]
    assert page.context["members"] == []
    assert refused.status_code == 404
    mine.refresh_from_db()
    assert mine.assignee == teams["ann"]


def test_a_user_who_sees_every_book_may_reassign_across_teams(client, teams, team_lead):
    task = task_for(teams["cat"])
    client.force_login(team_lead)
    client.post(reverse("relations:task-reassign", args=[task.pk]), {"assignee": teams["ann"].pk})
    task.refresh_from_db()
    assert task.assignee == teams["ann"]


def test_completing_a_task_records_its_outcome(client, teams):
    task = task_for(teams["ann"])
    client.force_login(teams["ann"])

    client.post(reverse("relations:task-finish", args=[task.pk]), {"outcome": ""})
    task.refresh_from_db()
    assert task.done_at is None
    client.post(reverse("relations:task-finish", args=[task.pk]), {"outcome": "Sent the quote"})
    task.refresh_from_db()
    assert task.done_at is not None and task.outcome == "Sent the quote"


def test_a_lead_by_team_cannot_complete_a_members_task(client, teams):
    task = task_for(teams["ann"])
    client.force_login(teams["li"])
    response = client.post(
        reverse("relations:task-finish", args=[task.pk]), {"outcome": "x"}, follow=True
    )
    assert "You can only complete your own tasks." in response.content.decode()
    assert Task.objects.get(pk=task.pk).done_at is None


# --- who gets nothing ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["relations:contacts", "relations:not-contacted", "relations:team-tasks"]
)
def test_portal_users_and_anonymous_get_nothing(client, name):
    account = PortalAccountFactory(user=UserFactory(), customer=CustomerFactory())
    response = client.get(reverse(name))
    assert response.status_code == 302 and "/staff/login/" in response["Location"]
    client.force_login(account.user)
    response = client.get(reverse(name))
    assert response.status_code in (302, 403)


def test_portal_users_cannot_post_either(client, teams):
    task = task_for(teams["ann"])
    client.force_login(PortalAccountFactory().user)
    response = client.post(
        reverse("relations:task-reassign", args=[task.pk]), {"assignee": teams["bob"].pk}
    )
    assert response.status_code in (302, 403)
    task.refresh_from_db()
    assert task.assignee == teams["ann"]


# --- both languages and the dashboard ------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "title", "heading"),
    [
        ("en", "Due and overdue contacts", "Calls, visits and reviews due"),
        ("zh-hans", "待联系客户（到期与逾期）", "待办的电话、拜访与业务回顾"),
    ],
)
def test_the_contact_list_speaks_both_languages(client, teams, language, title, heading):
    teams["ann"].language = language
    teams["ann"].save()
    client.force_login(teams["ann"])
    response = client.get(reverse("relations:contacts"))
    body = response.content.decode()
    assert title in body and heading in body
    assert "联系人" not in body  # "contact persons": not what the page lists


def test_the_contact_filters_are_styled_like_the_other_filter_bars(client, teams):
    client.force_login(teams["li"])  # a lead also filters by manager
    form = client.get(reverse("relations:contacts")).context["form"]
    body = client.get(reverse("relations:contacts")).content.decode()

    assert set(form.fields) == {"manager", "kind", "not_contacted"}
    for name, css in [("manager", "form-select"), ("kind", "form-select")]:
        assert f'<select name="{name}" class="{css}"' in body, name
    assert 'class="form-control"' in str(form["not_contacted"])


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", ["Team tasks", "By owner"]), ("zh-hans", ["团队任务", "按负责人"])],
)
def test_the_team_page_speaks_both_languages(client, teams, language, words):
    teams["li"].language = language
    teams["li"].save()
    client.force_login(teams["li"])
    content = client.get(reverse("relations:team-tasks")).content.decode()
    assert all(w in content for w in words)


def test_the_dashboard_shows_the_relationship_figures(client, teams, in_care, gold_cadences):
    in_care(teams["ann"])
    contact_plan_sweep(as_of=TODAY)
    client.force_login(teams["ann"])
    response = client.get(reverse("staff-home"))
    figures = response.context["relations"]
    assert (figures["not_contacted"], figures["due_contacts"], figures["escalated_complaints"]) == (
        1,
        2,
        0,
    )
    assert 'data-metric="not-contacted">1<' in response.content.decode()
