"""insights.feedback_states: the Feedback workflow, the one writer of Feedback.status."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from core.errors import InvalidTransition
from insights.feedback import feedback_submit
from insights.feedback_states import FEEDBACK, feedback_change
from insights.models import FeedbackEvent, FeedbackStatus
from tests.factories import CustomerFactory, StaffFactory

F = FeedbackStatus
NOW = dt.datetime(2026, 4, 1, 2, 0, tzinfo=dt.UTC)


def test_the_table_reads_as_the_workflow():
    assert FEEDBACK.sources_of(F.CLOSED) == frozenset({F.OPEN, F.IN_PROGRESS, F.RESOLVED})
    assert FEEDBACK.can(F.RESOLVED, F.IN_PROGRESS)  # the customer reopens it
    assert not FEEDBACK.can(F.IN_PROGRESS, F.OPEN)
    assert FEEDBACK.is_final(F.CLOSED)


@pytest.fixture
def item(db):
    customer = CustomerFactory()
    return feedback_submit(
        customer=customer,
        by=None,
        category="complaint",
        severity="normal",
        subject="Slow support",
        body="Nobody answered.",
    )


@pytest.mark.django_db
def test_submission_writes_the_first_history_row(item):
    (event,) = item.events.all()
    assert (event.kind, event.from_status, event.to_status) == ("submitted", "", F.OPEN)


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_resolving_stamps_the_time_and_writes_the_event(item):
    staff = StaffFactory()
    feedback_change(item, F.RESOLVED, by=staff, note="fixed the mailbox")

    item.refresh_from_db()
    assert item.status == F.RESOLVED and item.resolved_at == NOW and item.closed_at is None
    event = FeedbackEvent.objects.get(feedback=item, kind="status_changed")
    assert (event.kind, event.from_status, event.to_status) == (
        "status_changed",
        F.OPEN,
        F.RESOLVED,
    )
    assert (event.actor, event.note) == (staff, "fixed the mailbox")

    feedback_change(item, F.CLOSED, by=staff)
    item.refresh_from_db()
    assert item.status == F.CLOSED and item.closed_at == NOW


@pytest.mark.django_db
def test_a_closed_item_cannot_change_and_nothing_is_written(item):
    feedback_change(item, F.CLOSED)
    with pytest.raises(InvalidTransition):
        feedback_change(item, F.IN_PROGRESS)
    item.refresh_from_db()
    assert item.status == F.CLOSED
    assert sorted(item.events.values_list("to_status", flat=True)) == [F.CLOSED, F.OPEN]
