"""Message events: one row, in the same transaction, for each change others care about
(sent, failed, cancelled, staff retry, receipts); none for the claim churn."""

from __future__ import annotations

import pytest

from notifications.message_states import message_claim, message_finish, message_requeue_failed
from notifications.models import Message, MessageEvent, MessageStatus
from tests.factories import CustomerFactory, StaffFactory

S = MessageStatus
pytestmark = pytest.mark.django_db


def _message(status=S.PENDING):
    return Message.objects.create(
        customer=CustomerFactory(),
        to_address="a@example.com",
        channel="email",
        kind="k",
        template_kind="k",
        language="en",
        dedupe_key=f"ev-{Message.objects.count()}",
        status=status,
    )


def test_a_claim_and_a_release_write_no_event_but_the_outcome_does():
    from django.utils import timezone

    message = _message()
    now = timezone.now()
    assert message_claim(message.pk, now)
    message.refresh_from_db()
    assert message_finish(message, S.PENDING, next_attempt_at=now)
    assert not MessageEvent.objects.exists()

    assert message_claim(message.pk, now)
    message.refresh_from_db()
    assert message_finish(message, S.CANCELLED, payload={"reason": "r"})

    (event,) = MessageEvent.objects.all()
    assert (event.kind, event.from_status, event.to_status, event.payload) == (
        "cancelled",
        S.SENDING,
        S.CANCELLED,
        {"reason": "r"},
    )


def test_a_staff_retry_names_the_staff_member_and_a_refused_one_writes_nothing():
    manager = StaffFactory()
    message = _message(S.FAILED)

    assert message_requeue_failed(message, by=manager)
    assert not message_requeue_failed(message, by=manager)  # stale: it is pending now

    (event,) = message.events.all()
    assert (event.kind, event.from_status, event.to_status, event.actor) == (
        "retried",
        S.FAILED,
        S.PENDING,
        manager,
    )


def test_an_outcome_lost_to_a_taken_over_claim_writes_no_event():
    from django.utils import timezone

    message = _message()
    assert message_claim(message.pk, timezone.now())
    message.refresh_from_db()
    message.claimed_at = timezone.now().replace(year=2000)  # someone else's claim now

    assert not message_finish(message, S.SENT)
    assert not MessageEvent.objects.exists()
