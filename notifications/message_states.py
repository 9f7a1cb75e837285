"""An outbox message's workflow: the one table of which status may follow which, and the
only functions that change ``Message.status``.

::

    pending ──(claimed by a worker)──► sending ──► sent
       ▲                                  │  ├──► failed ──(staff: send again)──► pending
       └──(retry later / stuck claim)─────┘  └──► cancelled (a reminder no longer due)

A message is created ``pending`` (email, SMS: the outbox sweep delivers it) or ``sent``
(in-app: the row is the message); creation is not a transition, and the set-based
reminder sweep may insert ``pending`` rows with its own ``INSERT``.

**Compare-and-swap, no row lock.** A message is a hot row: the delivery sweep, the
immediate-delivery task and the stuck-claim sweeper may reach the same row at once. Every
change is one ``UPDATE … WHERE status IN (<sources allowed by the table>) AND <claim
condition>``; whoever changes the row owns the next step, the others see 0 rows and back
off. ``StateMachine.change_if`` is that swap on the primary key alone (used for the staff
retry); the claims need one more condition in the same statement (the message is due; the
worker still holds the claim it took), so ``_swap`` below adds it, after checking the
sources against the same table.

**No event table.** A message changes status up to ``2 × MAX_ATTEMPTS + 1`` times and the
daily reminder sweep creates them by the hundred thousand, so an event row per change
would double the writes on the hottest table for history nobody reads. What a reader
needs is already kept: the row itself (status, attempts, last error, sent at), one
``MessageAttempt`` per delivery attempt (the delivery log, with its error and whether it
was permanent), and, for the one change others react to (``failed``), the alert written
in the same transaction as the change (a ``message_failed`` event on the contract's
timeline, a task and a bell message for the account manager, see
``services.failures.message_alert_failure``). No subscription reacts to the other changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.errors import InvalidTransition
from core.state_machine import StateMachine

from .models import Message, MessageStatus

S = MessageStatus

MESSAGE_STATES: StateMachine[Message] = StateMachine(
    model=Message,
    transitions={
        S.PENDING: frozenset({S.SENDING}),
        S.SENDING: frozenset({S.SENT, S.FAILED, S.PENDING, S.CANCELLED}),
        S.FAILED: frozenset({S.PENDING}),
        S.SENT: frozenset(),
        S.CANCELLED: frozenset(),
    },
    initial=frozenset({S.PENDING, S.SENT}),
)


def _swap(to: str, *, expect_from: Iterable[str], where: dict[str, Any], **updates: Any) -> int:
    """One compare-and-swap ``UPDATE`` on the rows matching ``where`` that are still in one
    of ``expect_from``; every source must be allowed by the table. Returns rows changed."""
    sources = list(expect_from)
    refused = [src for src in sources if not MESSAGE_STATES.can(src, to)]
    if refused or not sources:
        raise InvalidTransition(f"Message: {refused or 'nothing'} may not become {to}")
    return Message.objects.filter(status__in=sources, **where).update(
        status=to, updated_at=timezone.now(), **updates
    )


# --- delivery claims -----------------------------------------------------------------------


def message_claim(message_id: int, now: dt.datetime) -> bool:
    """Claim one due pending message for this worker. False: another worker has it, or
    it is not (or no longer) pending and due."""
    return bool(
        _swap(
            S.SENDING,
            expect_from=[S.PENDING],
            where={"pk": message_id, "next_attempt_at__lte": now},
            claimed_at=now,
            attempts=F("attempts") + 1,
        )
    )


def messages_claim_due(now: dt.datetime, limit: int) -> list[int]:
    """Claim up to ``limit`` due pending messages, oldest first; returns their ids.
    ``SKIP LOCKED``: concurrent sweepers take disjoint batches instead of queueing."""
    with transaction.atomic():
        ids = list(
            Message.objects.select_for_update(skip_locked=True)
            .filter(status=S.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")
            .values_list("id", flat=True)[:limit]
        )
        if ids:
            _swap(
                S.SENDING,
                expect_from=[S.PENDING],
                where={"id__in": ids},
                claimed_at=now,
                attempts=F("attempts") + 1,
            )
    return ids


def message_finish(message: Message, to: str, **fields: Any) -> bool:
    """Write the outcome of a delivery (sent, failed, back to pending for a retry,
    cancelled) only if this worker still holds its claim: a claim taken over after the
    worker was presumed dead is not overwritten. Returns whether it was written."""
    return bool(
        _swap(
            to,
            expect_from=[S.SENDING],
            where={"pk": message.pk, "claimed_at": message.claimed_at},
            **fields,
        )
    )


def messages_requeue_stuck(*, claimed_before: dt.datetime, now: dt.datetime) -> int:
    """Put messages whose worker died mid-send (claimed before ``claimed_before``) back
    in the queue, due at ``now``."""
    return _swap(
        S.PENDING,
        expect_from=[S.SENDING],
        where={"claimed_at__lt": claimed_before},
        next_attempt_at=now,
        claimed_at=None,
    )


# --- staff -----------------------------------------------------------------------------------


def message_requeue_failed(message: Message) -> bool:
    """A failed message goes back in the queue, due now (same row, same dedupe key).
    False if it is not failed (any more)."""
    return MESSAGE_STATES.change_if(
        message.pk, S.PENDING, expect_from=[S.FAILED], updates={"next_attempt_at": timezone.now()}
    )
