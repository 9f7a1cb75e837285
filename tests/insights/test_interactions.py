from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from core.errors import DomainError
from core.models import Task, TaskKind
from insights.models import Interaction
from insights.services import interaction_log
from tests.factories import CustomerFactory, StaffFactory

pytestmark = pytest.mark.django_db


def test_it_logs_a_call_and_turns_the_follow_up_date_into_a_task_for_the_manager(
    manager, frozen_today
):
    customer = CustomerFactory(account_manager=manager)
    colleague = StaffFactory()
    interaction = interaction_log(
        customer=customer,
        by=colleague,
        kind="call",
        summary="Asked about the price rise",
        next_follow_up=frozen_today + dt.timedelta(days=7),
    )
    task = interaction.follow_up_task
    assert task.assignee == manager
    assert task.kind == TaskKind.FOLLOW_UP
    assert task.due_date == dt.date(2026, 6, 22)
    assert task.customer == customer
    assert task.dedupe_key == f"interaction:{interaction.pk}"


def test_a_note_without_a_follow_up_creates_no_task(manager, frozen_today):
    customer = CustomerFactory(account_manager=manager)
    interaction_log(customer=customer, by=manager, kind="note", summary="Likes email")
    assert Task.objects.count() == 0


def test_it_refuses_an_empty_summary_and_a_follow_up_in_the_past(manager, frozen_today):
    customer = CustomerFactory(account_manager=manager)
    with pytest.raises(DomainError):
        interaction_log(customer=customer, by=manager, kind="call", summary="  ")
    with pytest.raises(DomainError):
        interaction_log(
            customer=customer,
            by=manager,
            kind="call",
            summary="x",
            next_follow_up=frozen_today - dt.timedelta(days=1),
        )
    assert Interaction.objects.count() == 0


def test_the_customer_page_shows_the_log_and_the_form_posts_to_it(client, manager, frozen_today):
    customer = CustomerFactory(account_manager=manager)
    client.force_login(manager)
    response = client.post(
        reverse("insights:interaction-add", args=[customer.pk]),
        {"kind": "visit", "summary": "Visited the Pudong office", "next_follow_up": "2026-07-01"},
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#relationship")
    page = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "Relationship log" in page
    assert "Visited the Pudong office" in page
    assert "Next follow-up: 1 Jul 2026" in page
    assert Task.objects.get().due_date == dt.date(2026, 7, 1)
    tasks_page = client.get(reverse("staff-tasks")).content.decode()
    assert "Follow up with" in tasks_page


def _log(client, customer, **fields):
    data = {"kind": "call", "summary": "Asked about the price rise"}
    data.update(fields)
    return client.post(reverse("insights:interaction-add", args=[customer.pk]), data)


def test_an_invalid_post_shows_each_error_beside_its_field_on_the_customer_page(
    client, manager, frozen_today
):
    customer = CustomerFactory(account_manager=manager)
    client.force_login(manager)

    response = _log(client, customer, kind="telepathy", summary="", next_follow_up="not a date")

    assert response.status_code == 200
    assert response.templates[0].name == "customers/customer_detail.html"
    form = response.context["interaction_form"]
    assert set(form.errors) == {"kind", "summary", "next_follow_up"}
    assert form.errors["summary"] == ["Write a short summary."]
    assert Interaction.objects.count() == 0


@pytest.mark.parametrize("summary", ["", "   ", "\n\t"])
def test_an_empty_note_is_refused_beside_the_summary_and_nothing_is_logged(
    client, manager, frozen_today, summary
):
    customer = CustomerFactory(account_manager=manager)
    client.force_login(manager)

    response = _log(client, customer, kind="note", summary=summary)

    assert response.context["interaction_form"].errors == {"summary": ["Write a short summary."]}
    assert Interaction.objects.count() == 0


def test_a_contact_dated_in_the_future_is_refused_beside_its_time(client, manager, frozen_today):
    customer = CustomerFactory(account_manager=manager)
    client.force_login(manager)

    response = _log(client, customer, at="2026-06-15T10:30", summary="Will call tomorrow")

    errors = response.context["interaction_form"].errors
    assert list(errors) == ["at"]
    assert "next follow-up" in errors["at"][0]
    page = response.content.decode()
    assert "Will call tomorrow" in page  # what was typed is still there
    assert "autofocus" in page
    assert Interaction.objects.count() == 0


def test_a_contact_earlier_today_is_logged_at_that_time(client, manager, frozen_today):
    customer = CustomerFactory(account_manager=manager)
    client.force_login(manager)

    response = _log(client, customer, at="2026-06-15T09:45")

    assert response.status_code == 302
    assert Interaction.objects.get().at == dt.datetime(2026, 6, 15, 1, 45, tzinfo=dt.UTC)


def test_a_follow_up_in_the_past_is_refused_beside_its_field(client, manager, frozen_today):
    customer = CustomerFactory(account_manager=manager)
    client.force_login(manager)

    response = _log(client, customer, next_follow_up="2026-06-14")

    assert response.context["interaction_form"].errors == {
        "next_follow_up": ["The next follow-up cannot be in the past."]
    }
    assert Interaction.objects.count() == 0 and Task.objects.count() == 0


def test_the_interaction_errors_are_in_the_users_language(client, manager, frozen_today):
    manager.language = "zh-hans"
    manager.save(update_fields=["language"])
    customer = CustomerFactory(account_manager=manager)
    client.force_login(manager)

    response = _log(client, customer, at="2026-06-16T09:00", summary=" ")

    errors = response.context["interaction_form"].errors
    assert set(errors) == {"at", "summary"}
    assert "Write" not in errors["summary"][0]
    assert "follow-up" not in errors["at"][0]


def test_it_is_a_404_outside_the_managers_book(client, manager):
    someone_elses = CustomerFactory()
    client.force_login(manager)
    response = client.post(
        reverse("insights:interaction-add", args=[someone_elses.pk]),
        {"kind": "call", "summary": "x"},
    )
    assert response.status_code == 404


def test_get_does_not_log_anything(client, manager):
    customer = CustomerFactory(account_manager=manager)
    client.force_login(manager)
    assert client.get(reverse("insights:interaction-add", args=[customer.pk])).status_code == 405
