from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.models import Task
from insights.models import FeedbackStatus
from portal.services import feedback_submit
from tests.factories import CustomerFactory, PortalAccountFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def complaint(manager):
    customer = CustomerFactory(account_manager=manager, name="Acme Ltd")
    user = UserFactory(username="ann", email="ann@acme.example")
    PortalAccountFactory(user=user, customer=customer)
    item = feedback_submit(
        customer=customer,
        by=user,
        category="complaint",
        severity="high",
        subject="Invoices arrive late",
        body="Every month the invoice comes after the due date.",
    )
    item.portal_user = user
    return item


def test_staff_reply_is_seen_by_the_customer_in_the_portal(client, manager, complaint):
    client.force_login(manager)
    response = client.post(
        reverse("insights:feedback-reply", args=[complaint.pk]),
        {"body": "Sorry, we moved your invoice date."},
    )
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == FeedbackStatus.IN_PROGRESS
    assert complaint.first_response_at is not None
    portal = Client()
    portal.force_login(complaint.portal_user)
    page = portal.get(reverse("portal:feedback-detail", args=[complaint.pk])).content.decode()
    assert "Sorry, we moved your invoice date." in page


def test_staff_resolve_then_close(client, manager, complaint):
    client.force_login(manager)
    url = reverse("insights:feedback-status", args=[complaint.pk])
    client.post(reverse("insights:feedback-reply", args=[complaint.pk]), {"body": "On it."})
    client.post(url, {"to": "resolved"})
    complaint.refresh_from_db()
    assert complaint.status == FeedbackStatus.RESOLVED and complaint.resolved_at
    client.post(url, {"to": "closed"})
    complaint.refresh_from_db()
    assert complaint.status == FeedbackStatus.CLOSED
    refused = client.post(url, {"to": "resolved"}, follow=True)  # closed is final
    assert refused.status_code == 200
    complaint.refresh_from_db()
    assert complaint.status == FeedbackStatus.CLOSED
    response = client.post(
        reverse("insights:feedback-reply", args=[complaint.pk]), {"body": "late"}, follow=True
    )
    assert "This request is closed" in response.content.decode()


def test_assigning_gives_the_assignee_a_task_due_at_the_deadline(client, manager, complaint):
    colleague = StaffFactory(username="carol")
    client.force_login(manager)
    client.post(
        reverse("insights:feedback-assign", args=[complaint.pk]), {"assignee": colleague.pk}
    )
    assert complaint.assignment.assignee == colleague
    task = Task.objects.get(assignee=colleague)
    assert task.due_date == timezone.localtime(complaint.sla_due_at).date()
    # Twice is harmless.
    client.post(
        reverse("insights:feedback-assign", args=[complaint.pk]), {"assignee": colleague.pk}
    )
    assert Task.objects.filter(assignee=colleague).count() == 1
    mine = Client()
    mine.force_login(colleague)
    # The colleague's book does not hold the customer: the queue is scoped by book.
    assert mine.get(reverse("insights:feedback-detail", args=[complaint.pk])).status_code == 404


def test_the_queue_puts_overdue_items_first_and_highlights_them(client, manager, complaint):
    later = feedback_submit(
        customer=complaint.customer,
        by=complaint.portal_user,
        category="question",
        severity="low",
        subject="A question",
        body="?",
    )
    client.force_login(manager)
    with time_machine.travel(complaint.sla_due_at + dt.timedelta(hours=1)):
        response = client.get(reverse("insights:feedback"))
    items = list(response.context["page_obj"].object_list)
    assert [i.pk for i in items] == [complaint.pk, later.pk]
    assert items[0].overdue_rank == 0
    assert "row-overdue" in response.content.decode()
    with time_machine.travel(complaint.sla_due_at + dt.timedelta(hours=1)):
        overdue = client.get(reverse("insights:feedback"), {"show": "overdue"})
    assert [i.pk for i in overdue.context["page_obj"].object_list] == [complaint.pk]


def test_a_manager_never_sees_another_books_feedback(client, complaint):
    other = StaffFactory(username="dave")
    client.force_login(other)
    assert client.get(reverse("insights:feedback")).context["page_obj"].paginator.count == 0
    assert client.get(reverse("insights:feedback-detail", args=[complaint.pk])).status_code == 404
    response = client.post(reverse("insights:feedback-reply", args=[complaint.pk]), {"body": "x"})
    assert response.status_code == 404


def test_bad_query_values_fall_back_to_defaults(client, manager, complaint):
    client.force_login(manager)
    response = client.get(reverse("insights:feedback"), {"show": "x", "category": "y", "page": "z"})
    assert response.status_code == 200
    assert client.get(reverse("insights:feedback-detail", args=[complaint.pk])).status_code == 200
