from __future__ import annotations

import datetime as dt

import pytest

from core.models import Task, TaskKind
from insights.models import Interaction
from relations.contact_plans import contact_plan_sweep
from relations.models import ContactCadence, PlannedContact, PlannedContactStatus
from tests.factories import CustomerFactory, StaffFactory

from .conftest import at

pytestmark = pytest.mark.django_db
D = dt.date


def test_it_plans_each_kind_ahead_of_time_with_a_task_for_the_manager(in_care, gold_cadences):
    manager = StaffFactory(language="en")
    customer = in_care(manager, name="Acme")
    Interaction.objects.create(customer=customer, kind="call", at=at(D(2028, 2, 1)), summary="x")
    Interaction.objects.create(customer=customer, kind="visit", at=at(D(2027, 11, 30)), summary="y")

    summary = contact_plan_sweep(as_of=D(2028, 2, 17))

    plans = {p.kind: p for p in PlannedContact.objects.filter(customer=customer)}
    # call: 1 Feb + 30 days = 2 March (a leap February), opens 14 days before
    assert plans["call"].due_date == D(2028, 3, 2)
    assert plans["call"].opens_on == D(2028, 2, 17)
    # visit: 30 Nov + 3 months = 29 Feb 2028 (clamped), already open
    assert plans["visit"].due_date == D(2028, 2, 29)
    assert (summary.planned, summary.tasks) == (2, 2)
    task = plans["visit"].task
    assert (task.assignee, task.kind, task.due_date) == (manager, TaskKind.CONTACT, D(2028, 2, 29))
    assert task.estimate_minutes == 120
    assert task.title == "Visit: Acme"


def test_nothing_is_planned_before_its_window_opens(in_care, gold_cadences):
    customer = in_care()
    Interaction.objects.create(customer=customer, kind="call", at=at(D(2028, 2, 1)), summary="x")
    Interaction.objects.create(customer=customer, kind="visit", at=at(D(2028, 2, 1)), summary="y")

    contact_plan_sweep(as_of=D(2028, 2, 16))  # the call's window opens on 17 February

    assert not PlannedContact.objects.exists()


def test_running_the_sweep_twice_plans_and_tasks_once(in_care, gold_cadences):
    customer = in_care()

    first = contact_plan_sweep(as_of=D(2027, 2, 28))
    second = contact_plan_sweep(as_of=D(2027, 2, 28))

    assert first.planned == 2 and second.planned == 0
    assert PlannedContact.objects.filter(customer=customer).count() == 2
    assert Task.objects.filter(customer=customer, kind=TaskKind.CONTACT).count() == 2
    # never contacted: due on the sweep's date
    assert set(PlannedContact.objects.values_list("due_date", flat=True)) == {D(2027, 2, 28)}


def test_a_customer_override_replaces_or_switches_off_the_tier_cadence(in_care, gold_cadences):
    weekly = in_care()
    quiet = in_care()
    ContactCadence.objects.create(customer=weekly, kind="call", every=7, unit="days", lead_days=0)
    ContactCadence.objects.create(customer=quiet, kind="visit", every=1, active=False)
    Interaction.objects.create(customer=weekly, kind="call", at=at(D(2028, 12, 24)), summary="x")

    contact_plan_sweep(as_of=D(2028, 12, 31))

    assert list(
        PlannedContact.objects.filter(customer=weekly, kind="call").values_list(
            "due_date", flat=True
        )
    ) == [D(2028, 12, 31)]
    assert list(PlannedContact.objects.filter(customer=quiet).values_list("kind", flat=True)) == [
        "call"
    ]


def test_customers_without_a_contract_in_force_or_a_cadence_are_left_alone(gold_cadences):
    CustomerFactory(tier="A")  # no contract
    contact_plan_sweep(as_of=D(2028, 2, 29))
    assert not PlannedContact.objects.exists()


def test_an_interaction_logged_elsewhere_completes_the_plan_and_its_task_next_sweep(
    in_care, gold_cadences
):
    customer = in_care()
    contact_plan_sweep(as_of=D(2028, 2, 29))
    call = PlannedContact.objects.get(customer=customer, kind="call")
    logged = Interaction.objects.create(
        customer=customer, kind="call", at=at(D(2028, 3, 1)), summary="Called"
    )
    # an e-mail is not a call: the visit stays open
    Interaction.objects.create(customer=customer, kind="email", at=at(D(2028, 3, 1)), summary="m")

    summary = contact_plan_sweep(as_of=D(2028, 3, 1))

    call.refresh_from_db()
    assert call.status == PlannedContactStatus.DONE
    assert call.interaction == logged
    assert call.task.done_at is not None
    assert summary.completed == 1
    assert call.events.get().kind == "met_by_interaction"
    visit = PlannedContact.objects.get(customer=customer, kind="visit")
    assert visit.status == PlannedContactStatus.PLANNED
    # the next call is planned one cadence after the logged one, once its window opens
    contact_plan_sweep(as_of=D(2028, 3, 17))
    assert PlannedContact.objects.get(
        customer=customer, kind="call", status=PlannedContactStatus.PLANNED
    ).due_date == D(2028, 3, 31)


def test_an_interaction_before_the_window_does_not_count(in_care, gold_cadences):
    customer = in_care()
    Interaction.objects.create(customer=customer, kind="call", at=at(D(2028, 1, 31)), summary="x")
    contact_plan_sweep(as_of=D(2028, 2, 16))  # due 1 March, opens 16 February
    call = PlannedContact.objects.get(customer=customer, kind="call")
    assert (call.due_date, call.opens_on) == (D(2028, 3, 1), D(2028, 2, 16))
    Interaction.objects.create(customer=customer, kind="call", at=at(D(2028, 2, 15)), summary="y")

    contact_plan_sweep(as_of=D(2028, 2, 17))

    call.refresh_from_db()
    assert call.status == PlannedContactStatus.PLANNED


def test_a_customer_without_a_manager_gets_a_plan_but_no_task(in_care, gold_cadences):
    customer = in_care()
    customer.account_manager = None
    customer.save()

    contact_plan_sweep(as_of=D(2028, 2, 29))

    assert PlannedContact.objects.filter(customer=customer, task__isnull=True).count() == 2
    assert not Task.objects.exists()
