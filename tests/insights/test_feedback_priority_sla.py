"""The member level's priority response privilege sets the answer deadline of the
member's feedback and complaints: the earlier of the severity's hours and the
privilege's, recorded with its reason for the staff page and told to the customer in the
portal; the complaint escalation sweep then escalates at that earlier deadline.

Time is frozen at 2026-06-15 10:00 in Shanghai (the business date is 2026-06-15)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import translation

from core.models import Task, TaskKind
from insights.feedback import feedback_deadline, feedback_sla_for_customer, feedback_submit
from loyalty.models import Level, PointsEntry, Privilege, PrivilegeKind
from loyalty.sla import priority_response_hours
from relations.complaint_escalations import complaints_escalate
from relations.models import ComplaintEscalation
from tests.factories import CustomerFactory, PortalAccountFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 6, 15, 10, 0, tzinfo=SH)
TODAY = dt.date(2026, 6, 15)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def levels(db):
    silver = Level.objects.create(code="silver", name="银卡", name_en="Silver", min_points=300)
    gold = Level.objects.create(code="gold", name="金卡", name_en="Gold", min_points=1000)
    # Silver has privileges, but no priority response.
    Privilege.objects.create(level=silver, kind=PrivilegeKind.EXTRA_SERVICE)
    Privilege.objects.create(level=gold, kind=PrivilegeKind.PRIORITY_SLA, response_hours=8)
    Privilege.objects.create(level=gold, kind=PrivilegeKind.PRIORITY_SLA, response_hours=4)
    return {"silver": silver, "gold": gold}


@pytest.fixture
def team():
    lead = StaffFactory(username="lead-li", language="en")
    manager = StaffFactory(username="mgr-wang", team_lead=lead, language="en")
    return lead, manager


def earned(customer, points, on):
    return PointsEntry.objects.create(customer=customer, kind="earn", points=points, on=on)


def member(manager, points, *, on=TODAY, name="Gold Member Ltd"):
    customer = CustomerFactory(account_manager=manager, name=name)
    if points:
        earned(customer, points, on)
    return customer


def complain(customer, *, severity="high", category="complaint", by=None):
    return feedback_submit(
        customer=customer,
        by=by,
        category=category,
        severity=severity,
        subject="Invoices arrive late",
        body="Again this month.",
    )


# --- the read ---------------------------------------------------------------------------


def test_the_priority_response_is_the_levels_shortest_and_none_without_one(levels, team):
    _lead, manager = team
    gold = member(manager, 1200)
    silver = member(manager, 400, name="Silver Co")
    nobody = member(manager, 0, name="Walk-in Co")

    assert priority_response_hours(customer=gold, on=TODAY) == (4, levels["gold"])
    assert priority_response_hours(customer=silver, on=TODAY) is None
    assert priority_response_hours(customer=nobody, on=TODAY) is None


# --- the deadline when filed ------------------------------------------------------------


def test_a_gold_members_complaint_is_due_in_the_privileges_hours_with_its_reason(
    levels, team, frozen
):
    _lead, manager = team
    item = complain(member(manager, 1200))  # high: 24 hours by severity

    assert item.sla_due_at == NOW + dt.timedelta(hours=4)
    assert (item.sla_priority_hours, item.sla_priority_level) == (4, levels["gold"])
    # The account manager's task is due the same (local) day as the shorter deadline.
    task = Task.objects.get(kind=TaskKind.FEEDBACK, customer=item.customer)
    assert task.due_date == TODAY


def test_a_customer_without_the_privilege_gets_the_severitys_deadline(levels, team, frozen):
    _lead, manager = team
    for points in (0, 400):  # no level; silver, without priority response
        item = complain(member(manager, points, name=f"Co {points}"))
        assert item.sla_due_at == NOW + dt.timedelta(hours=24)
        assert (item.sla_priority_hours, item.sla_priority_level) == (None, None)


def test_a_severity_faster_than_the_privilege_keeps_its_deadline_and_no_reason(
    levels, team, frozen
):
    _lead, manager = team
    customer = member(manager, 1200)
    Privilege.objects.filter(kind=PrivilegeKind.PRIORITY_SLA).update(response_hours=6)

    critical = complain(customer, severity="critical")  # 4 hours by severity
    assert critical.sla_due_at == NOW + dt.timedelta(hours=4)
    assert critical.sla_priority_hours is None

    normal = complain(customer, severity="normal")  # 48 hours by severity
    assert normal.sla_due_at == NOW + dt.timedelta(hours=6)
    assert normal.sla_priority_hours == 6


def test_the_level_is_the_one_on_the_business_date_of_filing(levels, team):
    _lead, manager = team
    # Earned on 2025-06-15: counts for a level up to 2026-06-14 (12 qualifying months).
    customer = member(manager, 1200, on=dt.date(2025, 6, 15))
    # 2026-06-14 17:00 UTC is 2026-06-15 01:00 in Shanghai: the business date is the 15th.
    at = dt.datetime(2026, 6, 14, 17, 0, tzinfo=dt.UTC)
    assert feedback_deadline(customer=customer, severity="high", at=at).priority_hours is None
    earlier = dt.datetime(2026, 6, 14, 15, 0, tzinfo=dt.UTC)  # 23:00 on the 14th in Shanghai
    deadline = feedback_deadline(customer=customer, severity="high", at=earlier)
    assert (deadline.due_at, deadline.priority_hours) == (earlier + dt.timedelta(hours=4), 4)


def test_the_recorded_deadline_stays_when_the_level_is_lost_later(levels, team, frozen):
    _lead, manager = team
    item = complain(member(manager, 1200))
    PointsEntry.objects.filter(customer=item.customer).delete()

    item.refresh_from_db()
    assert (item.sla_due_at, item.sla_priority_hours) == (NOW + dt.timedelta(hours=4), 4)


# --- across the seam: the escalation sweep --------------------------------------------------


def test_a_gold_members_complaint_escalates_at_four_hours_and_a_non_members_does_not(
    levels, team, frozen
):
    lead, manager = team
    gold = complain(member(manager, 1200))
    plain = complain(member(manager, 0, name="Walk-in Co"))

    assert complaints_escalate(now=NOW + dt.timedelta(hours=3, minutes=59)) == 0
    assert complaints_escalate(now=NOW + dt.timedelta(hours=4, minutes=1)) == 1
    escalation = ComplaintEscalation.objects.get()
    assert (escalation.feedback, escalation.escalated_to) == (gold, lead)
    assert gold.reference in escalation.task.title

    # The non-member's complaint waits for its own 24 hours.
    assert complaints_escalate(now=NOW + dt.timedelta(hours=23, minutes=59)) == 0
    assert complaints_escalate(now=NOW + dt.timedelta(hours=24, minutes=1)) == 1
    assert set(ComplaintEscalation.objects.values_list("feedback_id", flat=True)) == {
        gold.pk,
        plain.pk,
    }


# --- the pages ------------------------------------------------------------------------------


@pytest.fixture
def _english_afterwards():
    yield
    translation.activate("en")


@pytest.mark.usefixtures("_english_afterwards")
def test_staff_see_why_the_deadline_is_shorter_in_both_languages(client, levels, team, frozen):
    _lead, manager = team
    item = complain(member(manager, 1200))
    plain = complain(member(manager, 0, name="Walk-in Co"))
    client.force_login(manager)

    page = client.get(reverse("insights:feedback-detail", args=[item.pk])).content.decode()
    assert "Answer due by 15 Jun 2026, 14:00." in page
    assert "Priority response: member level Gold, 4 hours." in page
    other = client.get(reverse("insights:feedback-detail", args=[plain.pk])).content.decode()
    assert "Priority response" not in other and 'id="priority-response"' not in other

    manager.language = "zh-hans"
    manager.save()
    page = client.get(reverse("insights:feedback-detail", args=[item.pk])).content.decode()
    assert "优先响应：会员等级金卡，4 小时。" in page


@pytest.mark.usefixtures("_english_afterwards")
def test_the_portal_tells_a_member_the_answer_time_they_get(levels, team, frozen):
    _lead, manager = team
    customer = member(manager, 1200)
    user = UserFactory(username="ann", email="ann@gold.example", language="en")
    PortalAccountFactory(user=user, customer=customer)
    portal = Client()
    portal.force_login(user)

    form = portal.get(reverse("portal:feedback-new")).content.decode()
    assert "As a Gold member you get a first answer within 4 hours at most." in form
    # No severity promises longer than the member's 4 hours.
    assert "Low: 4 hours" in form and "120 hours" not in form

    response = portal.post(
        reverse("portal:feedback-new"),
        {
            "category": "complaint",
            "severity": "low",
            "subject": "Slow support",
            "body": "Nobody answered.",
        },
        follow=True,
    )
    page = response.content.decode()
    assert "Member priority response (Gold): within 4 hours." in page
    item = customer.feedback.get()
    assert item.sla_due_at == NOW + dt.timedelta(hours=4)

    user.language = "zh-hans"
    user.save()
    form = portal.get(reverse("portal:feedback-new")).content.decode()
    assert "作为金卡会员，您最迟在 4 小时内得到首次答复。" in form
    page = portal.get(reverse("portal:feedback-detail", args=[item.pk])).content.decode()
    assert "会员优先响应（金卡）：4 小时内答复。" in page


def test_the_portal_promises_a_non_member_the_severity_table_only(levels, team, frozen):
    _lead, manager = team
    customer = member(manager, 0, name="Walk-in Co")
    table, priority = feedback_sla_for_customer(customer=customer, on=TODAY)
    assert priority is None
    assert [hours for _label, hours in table] == [4, 24, 48, 120]

    user = UserFactory(username="bob", email="bob@walkin.example", language="en")
    PortalAccountFactory(user=user, customer=customer)
    portal = Client()
    portal.force_login(user)
    form = portal.get(reverse("portal:feedback-new")).content.decode()
    assert 'id="priority-response"' not in form and "120 hours" in form
