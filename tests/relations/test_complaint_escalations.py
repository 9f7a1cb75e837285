from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from core.models import Task, TaskKind
from core.services import task_complete
from insights.feedback import feedback_set_status, feedback_submit
from insights.services import feedback_assign, feedback_staff_reply
from relations.complaint_escalations import complaints_escalate, escalation_tasks_close
from relations.models import ComplaintEscalation
from relations.selectors import escalated_overdue_complaints
from relations.tasks import complaint_escalation_task
from relations.teams import team_scope
from tests.factories import CustomerFactory, StaffFactory

from .conftest import at

pytestmark = pytest.mark.django_db
SUBMITTED = at(dt.date(2028, 2, 28), hour=20)  # high severity: 24 h, due 29 Feb 20:00


@pytest.fixture
def team():
    lead = StaffFactory(username="lead-li", language="en")
    manager = StaffFactory(team_lead=lead)
    return lead, manager


def submit(customer, category="complaint"):
    with time_machine.travel(SUBMITTED, tick=False):
        return feedback_submit(
            customer=customer,
            by=None,
            category=category,
            severity="high",
            subject="Invoices late",
            body="Again.",
        )


def test_an_overdue_complaint_escalates_once_to_the_managers_lead(team):
    lead, manager = team
    complaint = submit(CustomerFactory(account_manager=manager))
    submit(CustomerFactory(account_manager=manager), category="question")  # not a complaint

    assert complaints_escalate(now=complaint.sla_due_at - dt.timedelta(minutes=1)) == 0
    after = complaint.sla_due_at + dt.timedelta(minutes=1)
    assert complaints_escalate(now=after) == 1
    assert complaints_escalate(now=after + dt.timedelta(hours=1)) == 0

    escalation = ComplaintEscalation.objects.get()
    assert (escalation.feedback, escalation.escalated_to) == (complaint, lead)
    task = escalation.task
    assert (task.assignee, task.kind) == (lead, TaskKind.ESCALATION)
    assert task.due_date == dt.date(2028, 2, 29)
    assert task.title.startswith(f"Overdue complaint {complaint.reference}")
    assert Task.objects.filter(kind=TaskKind.ESCALATION).count() == 1


def test_the_assignees_lead_is_escalated_to_and_a_manager_without_lead_gets_it(team):
    lead, manager = team
    other_lead = StaffFactory()
    assignee = StaffFactory(team_lead=other_lead)
    assigned = submit(CustomerFactory(account_manager=manager))
    feedback_assign(feedback=assigned, assignee=assignee, by=lead)
    loner = StaffFactory()
    alone = submit(CustomerFactory(account_manager=loner))

    complaints_escalate(now=assigned.sla_due_at + dt.timedelta(hours=1))

    targets = dict(ComplaintEscalation.objects.values_list("feedback_id", "escalated_to_id"))
    assert targets == {assigned.pk: other_lead.pk, alone.pk: loner.pk}


def test_an_answered_complaint_is_not_escalated_and_leaves_the_dashboard_figure(team):
    lead, manager = team
    answered = submit(CustomerFactory(account_manager=manager))
    late = submit(CustomerFactory(account_manager=manager))
    with time_machine.travel(SUBMITTED + dt.timedelta(hours=1), tick=False):
        feedback_staff_reply(feedback=answered, by=manager, body="Sorry, fixed.")

    complaints_escalate(now=late.sla_due_at + dt.timedelta(hours=1))

    assert list(ComplaintEscalation.objects.values_list("feedback_id", flat=True)) == [late.pk]
    assert escalated_overdue_complaints(scope=team_scope(lead)).count() == 1
    assert escalated_overdue_complaints(scope=team_scope(StaffFactory())).count() == 0
    with time_machine.travel(late.sla_due_at + dt.timedelta(hours=2), tick=False):
        feedback_staff_reply(feedback=late, by=manager, body="On it.")
    assert escalated_overdue_complaints(scope=team_scope(lead)).count() == 0


def test_the_leads_task_closes_once_the_complaint_is_answered(team):
    lead, manager = team
    complaint = submit(CustomerFactory(account_manager=manager))
    waiting = submit(CustomerFactory(account_manager=manager))
    after = complaint.sla_due_at + dt.timedelta(minutes=5)
    complaints_escalate(now=after)
    task = ComplaintEscalation.objects.get(feedback=complaint).task

    # given nothing answered yet, the sweep closes nothing
    assert escalation_tasks_close(now=after) == 0
    with time_machine.travel(after + dt.timedelta(minutes=20), tick=False):
        feedback_staff_reply(feedback=complaint, by=manager, body="Sorry, fixed.")

    closed_at = after + dt.timedelta(minutes=30)
    assert escalation_tasks_close(now=closed_at) == 1
    assert escalation_tasks_close(now=closed_at + dt.timedelta(minutes=10)) == 0

    task.refresh_from_db()
    assert (task.done_at, task.done_by) == (closed_at, None)
    assert task.outcome == f"Complaint {complaint.reference} was answered; closed automatically."
    other = ComplaintEscalation.objects.get(feedback=waiting).task
    assert other.done_at is None


def test_a_complaint_closed_without_a_reply_closes_the_task_in_the_leads_language(team):
    lead, manager = team
    lead.language = "zh-hans"
    lead.save(update_fields=["language"])
    complaint = submit(CustomerFactory(account_manager=manager))
    after = complaint.sla_due_at + dt.timedelta(minutes=5)
    complaints_escalate(now=after)
    with time_machine.travel(after, tick=False):
        feedback_set_status(feedback=complaint, to="closed", by=lead, note="Duplicate")

    assert escalation_tasks_close(now=after + dt.timedelta(minutes=1)) == 1

    task = ComplaintEscalation.objects.get().task
    assert task.outcome == f"投诉 {complaint.reference} 已答复，任务已自动完成。"


def test_a_task_the_lead_completed_keeps_their_outcome(team):
    lead, manager = team
    complaint = submit(CustomerFactory(account_manager=manager))
    after = complaint.sla_due_at + dt.timedelta(minutes=5)
    complaints_escalate(now=after)
    task = ComplaintEscalation.objects.get().task
    task_complete(task=task, by=lead, outcome="Called the customer myself")
    with time_machine.travel(after + dt.timedelta(minutes=20), tick=False):
        feedback_staff_reply(feedback=complaint, by=manager, body="Sorry.")

    assert escalation_tasks_close(now=after + dt.timedelta(minutes=30)) == 0

    task.refresh_from_db()
    assert (task.outcome, task.done_by) == ("Called the customer myself", lead)


def test_the_sweep_task_escalates_and_closes(team):
    lead, manager = team
    answered = submit(CustomerFactory(account_manager=manager))
    late = submit(CustomerFactory(account_manager=manager))
    with time_machine.travel(answered.sla_due_at + dt.timedelta(minutes=5), tick=False):
        complaints_escalate(now=answered.sla_due_at + dt.timedelta(minutes=5))
    ComplaintEscalation.objects.filter(feedback=late).delete()
    with time_machine.travel(answered.sla_due_at + dt.timedelta(minutes=6), tick=False):
        feedback_staff_reply(feedback=answered, by=manager, body="Done.")

    with time_machine.travel(answered.sla_due_at + dt.timedelta(minutes=10), tick=False):
        result = complaint_escalation_task()

    assert result == {"escalated": 1, "closed": 1}
