"""notifications.message_states: the message table, the compare-and-swap claims and
outcomes (no lock, no event row), and workers racing for the same messages on real
PostgreSQL."""

from __future__ import annotations

import datetime as dt
import itertools
import threading

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from core.errors import InvalidTransition
from notifications.message_states import (
    MESSAGE_STATES,
    message_claim,
    message_finish,
    message_requeue_failed,
    messages_claim_due,
    messages_requeue_stuck,
)
from notifications.models import Message, MessageAttempt, MessageStatus
from notifications.services import message_deliver, message_retry

S = MessageStatus
NOW = dt.datetime(2026, 6, 1, 2, 0, tzinfo=dt.UTC)
_keys = itertools.count()


def _message(status: str = S.PENDING, *, due: dt.datetime = NOW, **fields) -> Message:
    return Message.objects.create(
        channel="email",
        kind="care_birthday",
        template_kind="care_birthday",
        language="en",
        to_address="buyer@example.com",
        dedupe_key=f"state-test-{next(_keys)}",
        status=status,
        next_attempt_at=due,
        **fields,
    )


def test_the_table_is_the_delivery_cycle():
    assert {k: set(v) for k, v in MESSAGE_STATES.transitions.items()} == {
        S.PENDING: {S.SENDING},
        S.SENDING: {S.SENT, S.FAILED, S.PENDING, S.CANCELLED},
        S.FAILED: {S.PENDING},
        # Only an SMS provider's receipt moves a sent message on (services.receipts).
        S.SENT: {S.DELIVERED, S.UNDELIVERED},
        S.DELIVERED: set(),
        S.UNDELIVERED: {S.PENDING},
        S.CANCELLED: set(),
    }
    # In-app messages are created sent: the row is the message.
    assert MESSAGE_STATES.initial == {S.PENDING, S.SENT}


@pytest.mark.django_db
def test_a_due_pending_message_is_claimed_once():
    message = _message()

    assert message_claim(message.pk, NOW)
    assert not message_claim(message.pk, NOW)  # already sending

    message.refresh_from_db()
    assert (message.status, message.claimed_at, message.attempts) == (S.SENDING, NOW, 1)


@pytest.mark.django_db
@pytest.mark.parametrize("status", [S.SENDING, S.SENT, S.FAILED, S.CANCELLED])
def test_only_a_pending_message_can_be_claimed(status):
    message = _message(status)

    assert not message_claim(message.pk, NOW)

    message.refresh_from_db()
    assert (message.status, message.attempts) == (status, 0)


@pytest.mark.django_db
def test_a_message_not_due_yet_is_not_claimed():
    message = _message(due=NOW + dt.timedelta(seconds=1))

    assert not message_claim(message.pk, NOW)
    assert messages_claim_due(NOW, 10) == []


@pytest.mark.django_db
def test_the_batch_claim_takes_the_oldest_due_pending_messages():
    old = _message(due=NOW - dt.timedelta(hours=2))
    newer = _message(due=NOW - dt.timedelta(hours=1))
    _message(due=NOW + dt.timedelta(hours=1))
    _message(S.FAILED)

    assert messages_claim_due(NOW, 1) == [old.pk]
    assert messages_claim_due(NOW, 10) == [newer.pk]
    assert set(Message.objects.filter(status=S.SENDING).values_list("pk", flat=True)) == {
        old.pk,
        newer.pk,
    }


@pytest.mark.django_db
@pytest.mark.parametrize("outcome", [S.SENT, S.FAILED, S.PENDING, S.CANCELLED])
def test_the_worker_holding_the_claim_writes_the_outcome(outcome):
    message = _message()
    message_claim(message.pk, NOW)
    message.refresh_from_db()

    assert message_finish(message, outcome, last_error="x")

    message.refresh_from_db()
    assert (message.status, message.last_error) == (outcome, "x")


@pytest.mark.django_db
def test_an_outcome_is_not_written_over_a_claim_taken_over_meanwhile():
    message = _message()
    message_claim(message.pk, NOW)
    message.refresh_from_db()
    stale = Message.objects.get(pk=message.pk)
    # The claim looked dead: requeued, then claimed again by another worker.
    messages_requeue_stuck(claimed_before=NOW + dt.timedelta(seconds=1), now=NOW)
    message_claim(message.pk, NOW + dt.timedelta(minutes=20))

    assert not message_finish(stale, S.SENT)

    message.refresh_from_db()
    assert (message.status, message.attempts) == (S.SENDING, 2)


@pytest.mark.django_db
def test_an_outcome_the_table_does_not_allow_is_refused_before_any_write():
    message = _message()
    message_claim(message.pk, NOW)
    message.refresh_from_db()

    with pytest.raises(InvalidTransition):
        message_finish(message, S.SENDING)

    message.refresh_from_db()
    assert message.status == S.SENDING


@pytest.mark.django_db
def test_only_stuck_claims_are_put_back():
    stuck = _message(S.SENDING, claimed_at=NOW - dt.timedelta(hours=1))
    live = _message(S.SENDING, claimed_at=NOW)

    assert messages_requeue_stuck(claimed_before=NOW - dt.timedelta(minutes=15), now=NOW) == 1

    stuck.refresh_from_db()
    live.refresh_from_db()
    assert (stuck.status, stuck.claimed_at, stuck.next_attempt_at) == (S.PENDING, None, NOW)
    assert live.status == S.SENDING


@pytest.mark.django_db
@pytest.mark.parametrize("status", [S.PENDING, S.SENDING, S.SENT, S.DELIVERED, S.CANCELLED])
def test_only_a_failed_message_goes_back_in_the_queue(status):
    message = _message(status)

    assert not message_requeue_failed(message)

    message.refresh_from_db()
    assert message.status == status


@pytest.mark.django_db
def test_staff_send_a_failed_message_again_and_a_second_try_is_refused_in_words(
    manager, django_capture_on_commit_callbacks
):
    from core.errors import DomainError

    message = _message(S.FAILED, due=NOW - dt.timedelta(days=1))

    with (
        time_machine.travel(NOW, tick=False),
        django_capture_on_commit_callbacks(execute=False),
    ):
        message_retry(message=message, by=manager)

    assert (message.status, message.next_attempt_at) == (S.PENDING, NOW)
    with pytest.raises(DomainError, match="Only a failed message can be sent again."):
        message_retry(message=message, by=manager)


@pytest.mark.django_db
def test_a_broken_failure_alert_does_not_undo_the_failure(monkeypatch, smtp_server):
    """The failure and its alert commit together; an alert that raises is rolled back to
    its savepoint, logged, and the message stays failed (it is not sent again)."""
    from notifications.services import delivery

    def broken(*, message):
        MessageAttempt.objects.filter(message=message).update(error="alert ran")
        raise RuntimeError("alert bug")

    monkeypatch.setattr(delivery, "message_alert_failure", broken)
    smtp_server.replies = ["550 No such user"]
    message = _message(due=timezone.now())

    assert message_deliver(message_id=message.pk) == "failed"

    message.refresh_from_db()
    assert message.status == S.FAILED and "550" in message.last_error
    attempt = MessageAttempt.objects.get(message=message)
    assert attempt.permanent and attempt.error != "alert ran"  # the alert's write undone


# --- workers racing ---------------------------------------------------------------------------


def _together(n: int, fn) -> list:
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = fn()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_two_workers_claiming_the_same_message_one_wins(round_):
    message = _message()

    results = _together(2, lambda: message_claim(message.pk, NOW))

    assert sorted(results) == [False, True]
    message.refresh_from_db()
    assert (message.status, message.attempts) == (S.SENDING, 1)


@pytest.mark.django_db(transaction=True)
def test_concurrent_sweepers_claim_disjoint_batches_that_cover_every_due_message():
    due = {_message(due=NOW - dt.timedelta(minutes=i)).pk for i in range(40)}

    batches = _together(4, lambda: messages_claim_due(NOW, 15))

    claimed = [pk for batch in batches for pk in batch]
    assert len(claimed) == len(set(claimed))  # nobody claimed a message twice
    assert set(claimed) == due
    assert set(Message.objects.values_list("attempts", flat=True)) == {1}
