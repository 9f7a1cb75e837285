"""An outbox message's workflow: the one table of which status may follow which, and the
only functions that change ``Message.status``.

::

    pending ──(claimed by a worker)──► sending ──► sent ──(SMS receipt)──► delivered
       ▲                                  │  │       └──(SMS receipt)──► undelivered ─┐
       │                                  │  ├──► failed ──(staff: send again)──┐      │
       └──(retry later / stuck claim)─────┘  └──► cancelled                     ▼      ▼
       ◄─────────────────────────────────────────────────────────────────── pending ◄──┘

A message is created ``pending`` (email, SMS: the outbox sweep delivers it) or ``sent``
(in-app: the row is the message); creation is not a transition, and the set-based
reminder sweep may insert ``pending`` rows with its own ``INSERT``. ``delivered`` and
``undelivered`` are reached only from an SMS provider's receipt (its push, or the poll that
queries it): console and file SMS, e-mail (accepted by the SMTP server is all we know) and
in-app messages stay ``sent``.

**Compare-and-swap, no row lock.** A message is a hot row: the delivery sweep, the
immediate-delivery task and the stuck-claim sweeper may reach the same row at once. Every
change is one ``UPDATE … WHERE status IN (<sources allowed by the table>) AND <claim
condition>``; whoever changes the row owns the next step, the others see 0 rows and back
off. ``_swap`` below checks the sources against the table and adds the claim condition
(the message is due; the worker still holds the claim it took; the receipt names the
provider's id).

**Events for the changes others care about, not for the churn.** A message changes status
up to ``2 × MAX_ATTEMPTS + 1`` times and the daily reminder sweep creates them by the
hundred thousand: a row per claim and release (pending → sending → pending) would double
the writes on the hottest table for history nobody reads (``MessageAttempt`` already logs
every attempt with its error). So a ``MessageEvent`` is written, in the same transaction
as the swap that changed the row, for the transitions a reader or another app cares
about: ``sent``, ``delivered``, ``undelivered``, ``failed``, ``cancelled`` and ``retried``
(staff sent it again, with the actor). A swap that changed nothing writes nothing. The
failure alert (``services.failures.message_alert_failure``) still commits with the
failure, as before.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.errors import InvalidTransition
from core.events import actor_or_none
from core.state_machine import StateMachine

from .models import Message, MessageEvent, MessageStatus

S = MessageStatus

MESSAGE_STATES: StateMachine[Message] = StateMachine(
    model=Message,
    transitions={
        S.PENDING: frozenset({S.SENDING}),
        S.SENDING: frozenset({S.SENT, S.FAILED, S.PENDING, S.CANCELLED}),
        S.FAILED: frozenset({S.PENDING}),
        S.SENT: frozenset({S.DELIVERED, S.UNDELIVERED}),
        S.DELIVERED: frozenset(),
        S.UNDELIVERED: frozenset({S.PENDING}),
        S.CANCELLED: frozenset(),
    },
    initial=frozenset({S.PENDING, S.SENT}),
)


# The changes that write a MessageEvent (see the module docstring); the others are churn.
EVENT_TARGETS = frozenset({S.SENT, S.DELIVERED, S.UNDELIVERED, S.FAILED, S.CANCELLED})


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


def _swap_one_with_event(
    message_id: int,
    to: str,
    *,
    expect_from: Iterable[str],
    where: dict[str, Any],
    kind: str | None = None,
    actor: Any = None,
    payload: dict[str, Any] | None = None,
    **updates: Any,
) -> bool:
    """``_swap`` on one row and, if it changed, its event row in the same transaction.
    ``UPDATE … RETURNING`` is not available through the ORM's ``update``, so the old status
    is the single source when there is one, else read under the row lock the UPDATE took."""
    sources = list(expect_from)
    with transaction.atomic():
        if not _swap(to, expect_from=sources, where={"pk": message_id, **where}, **updates):
            return False
        MessageEvent.objects.create(
            message_id=message_id,
            kind=kind or to,
            from_status=sources[0] if len(sources) == 1 else "",
            to_status=to,
            actor=actor_or_none(actor),
            payload=payload or {},
        )
    return True


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


def message_finish(
    message: Message, to: str, *, payload: dict[str, Any] | None = None, **fields: Any
) -> bool:
    """Write the outcome of a delivery (sent, failed, back to pending for a retry,
    cancelled) only if this worker still holds its claim: a claim taken over after the
    worker was presumed dead is not overwritten. Returns whether it was written. Every
    outcome but the retry writes its event (``payload``) in the same transaction."""
    where = {"claimed_at": message.claimed_at}
    if to in EVENT_TARGETS:
        return _swap_one_with_event(
            message.pk, to, expect_from=[S.SENDING], where=where, payload=payload, **fields
        )
    return bool(_swap(to, expect_from=[S.SENDING], where={"pk": message.pk, **where}, **fields))


# --- delivery receipts (SMS) -----------------------------------------------------------------


def message_receipt(
    message_id: int,
    *,
    delivered: bool,
    provider: str,
    provider_message_id: str,
    at: dt.datetime,
    payload: dict[str, Any],
    error: str = "",
) -> bool:
    """A provider's receipt for a message it took: ``sent`` becomes ``delivered`` or
    ``undelivered``. The swap also names the provider and its id, so a receipt for an
    earlier attempt (the message was sent again since) changes nothing. False: no such
    message in ``sent`` (a duplicate receipt, or one for another send)."""
    where = {"provider": provider, "provider_message_id": provider_message_id}
    if delivered:
        return _swap_one_with_event(
            message_id,
            S.DELIVERED,
            expect_from=[S.SENT],
            where=where,
            payload=payload,
            delivered_at=at,
        )
    return _swap_one_with_event(
        message_id,
        S.UNDELIVERED,
        expect_from=[S.SENT],
        where=where,
        payload=payload,
        last_error=error,
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


def message_requeue_failed(message: Message, *, by: Any = None) -> bool:
    """A failed (or undelivered) message goes back in the queue, due now (same row, same
    dedupe key), with a ``retried`` event naming the staff member. False if it is not
    failed or undelivered (any more)."""
    return _swap_one_with_event(
        message.pk,
        S.PENDING,
        expect_from=[message.status] if message.status in RETRYABLE else sorted(RETRYABLE),
        where={},
        kind="retried",
        actor=by,
        next_attempt_at=timezone.now(),
    )


# What staff may send again.
RETRYABLE = frozenset({S.FAILED, S.UNDELIVERED})
