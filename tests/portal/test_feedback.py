from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from core.errors import DomainError, InvalidTransition
from core.models import Task
from insights.models import Feedback, FeedbackEvent, FeedbackStatus
from portal.services import feedback_reply_add, feedback_set_status, feedback_submit
from tests.factories import ContractFactory, StaffFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 4, 1, 2, 0, tzinfo=dt.UTC)


def _submit(customer, user, severity="normal", contract=None):
    return feedback_submit(
        customer=customer,
        by=user,
        category="complaint",
        severity=severity,
        subject="Slow support",
        body="Nobody answered.",
        contract=contract,
    )


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    ("severity", "hours"), [("critical", 4), ("high", 24), ("normal", 48), ("low", 120)]
)
def test_it_sets_the_answer_due_time_from_the_severity(customer, portal_user, severity, hours):
    item = _submit(customer, portal_user, severity=severity)

    assert item.status == FeedbackStatus.OPEN
    assert item.sla_due_at == NOW + dt.timedelta(hours=hours)
    assert FeedbackEvent.objects.filter(feedback=item, to_status="open").count() == 1


def test_it_gives_the_account_manager_one_task(customer, portal_user):
    item = _submit(customer, portal_user)

    task = Task.objects.get(dedupe_key=f"feedback:{item.pk}")
    assert task.assignee == customer.account_manager
    assert task.kind == "feedback"


def test_it_refuses_another_customers_contract(customer, portal_user):
    foreign = ContractFactory()

    with pytest.raises(DomainError):
        _submit(customer, portal_user, contract=foreign)


def test_a_first_staff_reply_starts_the_work_and_meets_the_sla(customer, portal_user):
    item = _submit(customer, portal_user)
    staff = StaffFactory()

    feedback_reply_add(feedback=item, by=staff, body="We are on it.", from_staff=True)

    item.refresh_from_db()
    assert item.status == FeedbackStatus.IN_PROGRESS
    assert item.first_response_at is not None
    assert list(item.events.values_list("from_status", "to_status")) == [
        ("", "open"),
        ("open", "in_progress"),
    ]


def test_a_customer_reply_reopens_a_resolved_request(customer, portal_user):
    item = _submit(customer, portal_user)
    feedback_set_status(feedback=item, to=FeedbackStatus.RESOLVED, by=StaffFactory())

    feedback_reply_add(feedback=item, by=portal_user, body="Still broken.", from_staff=False)

    item.refresh_from_db()
    assert item.status == FeedbackStatus.IN_PROGRESS


def test_a_closed_request_takes_no_reply_and_no_transition(customer, portal_user):
    item = _submit(customer, portal_user)
    feedback_set_status(feedback=item, to=FeedbackStatus.CLOSED, by=portal_user)

    with pytest.raises(DomainError):
        feedback_reply_add(feedback=item, by=portal_user, body="Hello?", from_staff=False)
    with pytest.raises(InvalidTransition):
        feedback_set_status(feedback=item, to=FeedbackStatus.IN_PROGRESS, by=portal_user)


def test_the_customer_submits_feedback_from_the_portal(customer_client, customer, contract):
    response = customer_client.post(
        reverse("portal:feedback-new"),
        {
            "category": "billing",
            "severity": "high",
            "contract": contract.pk,
            "subject": "Invoice wrong",
            "body": "The amount is off.",
        },
    )

    item = Feedback.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("portal:feedback-detail", kwargs={"pk": item.pk})
    assert item.customer == customer
    assert item.contract == contract


def test_the_form_refuses_another_customers_contract_id(customer_client):
    foreign = ContractFactory()

    response = customer_client.post(
        reverse("portal:feedback-new"),
        {
            "category": "billing",
            "severity": "high",
            "contract": foreign.pk,
            "subject": "x",
            "body": "y",
        },
    )

    assert response.status_code == 200
    assert 'id="id_contract_error"' in response.content.decode()
    assert not Feedback.objects.exists()


def test_the_customer_sees_staff_replies_and_can_close_when_resolved(
    customer_client, customer, portal_user
):
    item = _submit(customer, portal_user)
    feedback_reply_add(feedback=item, by=StaffFactory(), body="Fixed it for you.", from_staff=True)
    feedback_set_status(feedback=item, to=FeedbackStatus.RESOLVED, by=StaffFactory())
    url = reverse("portal:feedback-detail", kwargs={"pk": item.pk})

    page = customer_client.get(url)
    closed = customer_client.post(url, {"action": "close"})

    assert b"Fixed it for you." in page.content
    assert closed.status_code == 302
    item.refresh_from_db()
    assert item.status == FeedbackStatus.CLOSED


def test_staff_reply_from_the_admin(client, customer, portal_user):
    item = _submit(customer, portal_user)
    admin = StaffFactory(is_superuser=True)
    client.force_login(admin)
    url = reverse("admin:insights_feedback_change", args=[item.pk])

    response = client.post(
        url,
        {
            "category": item.category,
            "severity": item.severity,
            "subject": item.subject,
            "body": item.body,
            "contract": "",
            "staff_reply": "Hello from the team",
            "replies-TOTAL_FORMS": "0",
            "replies-INITIAL_FORMS": "0",
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    reply = item.replies.get()
    assert reply.from_staff and reply.author == admin
    item.refresh_from_db()
    assert item.status == FeedbackStatus.IN_PROGRESS
