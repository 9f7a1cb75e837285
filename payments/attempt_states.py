"""A payment attempt's workflow: the one table of which status may follow which, and the
only functions that change ``PaymentAttempt.status``.

::

    created ──(provider order made)──► pending ──(verified payment)──► succeeded (final)
       │                                  ├──(paid in another currency)──► review (final)
       ├──(provider refused)──► failed ◄──┤ (provider says failed)
       │                                  ├──(timed out / closed)──► expired
       └──(replaced)──► cancelled ◄───────┘ (replaced by an attempt for a new balance)

    failed / expired / cancelled ──(a verified payment arrives late)──► succeeded | review

A late payment is real money: the provider took it, so it is recorded even though we had
given up on the attempt (docs/payments.md, "Reconciliation"). Each change writes one
``AttemptEvent`` in the caller's transaction; the caller holds the attempt's row lock
(``attempt_lock``), taken after the invoice's when both are needed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.utils import timezone

from core.events import actor_or_none
from core.state_machine import StateMachine

from .models import AttemptEvent, AttemptStatus, PaymentAttempt

S = AttemptStatus
_GAVE_UP = frozenset({S.SUCCEEDED, S.REVIEW})

ATTEMPT_TRANSITIONS: dict[str, frozenset[str]] = {
    S.CREATED: frozenset({S.PENDING, S.SUCCEEDED, S.REVIEW, S.FAILED, S.CANCELLED}),
    S.PENDING: frozenset({S.SUCCEEDED, S.REVIEW, S.FAILED, S.EXPIRED, S.CANCELLED}),
    S.FAILED: _GAVE_UP,
    S.EXPIRED: _GAVE_UP,
    S.CANCELLED: _GAVE_UP,
    S.SUCCEEDED: frozenset(),
    S.REVIEW: frozenset(),
}

ATTEMPTS: StateMachine[PaymentAttempt] = StateMachine(
    PaymentAttempt, ATTEMPT_TRANSITIONS, initial=frozenset({S.CREATED})
)

# The timeline's event kind for each status reached.
EVENT_KIND: Mapping[str, str] = {
    S.PENDING: "started",
    S.SUCCEEDED: "succeeded",
    S.REVIEW: "review",
    S.FAILED: "failed",
    S.EXPIRED: "expired",
    S.CANCELLED: "cancelled",
}

OPEN_STATUSES = frozenset({S.CREATED, S.PENDING})


def attempt_lock(attempt: PaymentAttempt) -> PaymentAttempt:
    """Lock the attempt row in the caller's transaction and return it fresh."""
    return PaymentAttempt.objects.select_for_update().get(pk=attempt.pk)


def _event(
    *, by: Any, payload: Mapping[str, Any] | None
) -> Callable[[PaymentAttempt, str, str], AttemptEvent]:
    def build(attempt: PaymentAttempt, current: str, to: str) -> AttemptEvent:
        return AttemptEvent(
            attempt=attempt,
            kind=EVENT_KIND[to],
            actor=actor_or_none(by),
            from_status=current,
            to_status=to,
            payload={"reference": attempt.reference, **(payload or {})},
        )

    return build


def attempt_change(
    locked: PaymentAttempt,
    to: str,
    *,
    by: Any = None,
    updates: Mapping[str, Any] | None = None,
    payload: Mapping[str, Any] | None = None,
) -> PaymentAttempt:
    """Change the locked attempt's status to ``to`` with its event row; ``updates`` are
    other columns written with it. Reaching a final or given-up status stamps
    ``completed_at``."""
    values = dict(updates or {})
    if to not in OPEN_STATUSES and "completed_at" not in values:
        values["completed_at"] = timezone.now()
    return ATTEMPTS.change_locked(locked, to, event=_event(by=by, payload=payload), updates=values)


def attempt_mismatch_record(
    locked: PaymentAttempt, *, kind: str, payload: Mapping[str, Any]
) -> AttemptEvent:
    """A mismatch found on the locked attempt: a timeline row (no status change; the
    mismatch columns are written by the caller with the status change)."""
    row = AttemptEvent(
        attempt=locked,
        kind="mismatch",
        payload={"reference": locked.reference, "mismatch": kind, **payload},
    )
    row.save()  # publishes itself after the commit
    return row
