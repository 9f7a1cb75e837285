"""A feedback item's workflow: which status may follow which, and the one way to change it.

Nothing else assigns ``Feedback.status``. An item is submitted open (creation is not a
transition; ``feedback_opened_event`` is its first history row); afterwards only
:func:`feedback_change` moves it: lock the row, check the table, write the status (with
``resolved_at`` / ``closed_at``) and a ``FeedbackEvent`` in one transaction, published
after the commit (``core.events``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.utils import timezone

from core.events import actor_or_none
from core.state_machine import StateMachine

from .models import Feedback, FeedbackEvent, FeedbackStatus

F = FeedbackStatus

FEEDBACK_TRANSITIONS: dict[str, frozenset[str]] = {
    F.OPEN: frozenset({F.IN_PROGRESS, F.RESOLVED, F.CLOSED}),
    F.IN_PROGRESS: frozenset({F.RESOLVED, F.CLOSED}),
    # A resolved item can be reopened (the customer replies) or closed.
    F.RESOLVED: frozenset({F.IN_PROGRESS, F.CLOSED}),
    F.CLOSED: frozenset(),
}

FEEDBACK: StateMachine[Feedback] = StateMachine(
    Feedback, FEEDBACK_TRANSITIONS, initial=frozenset({F.OPEN})
)


def _event(*, by: Any, note: str) -> Callable[[Feedback, str, str], FeedbackEvent]:
    def build(feedback: Feedback, current: str, to: str) -> FeedbackEvent:
        return FeedbackEvent(
            feedback=feedback,
            kind="status_changed",
            actor=actor_or_none(by),
            from_status=current,
            to_status=to,
            note=note[:300],
        )

    return build


def feedback_change(
    feedback: Feedback,
    to: str,
    *,
    by: Any = None,
    note: str = "",
    updates: Mapping[str, Any] | None = None,
) -> Feedback:
    """Change the item's status (refused with ``InvalidTransition`` where the table says
    no); resolving stamps ``resolved_at``, closing ``closed_at``."""
    values = dict(updates or {})
    if to == F.RESOLVED:
        values["resolved_at"] = timezone.now()
    elif to == F.CLOSED:
        values["closed_at"] = timezone.now()
    return FEEDBACK.change(feedback, to, event=_event(by=by, note=note), updates=values)


def feedback_opened_event(feedback: Feedback, *, by: Any = None) -> FeedbackEvent:
    """The first history row of a new item (saved and published here)."""
    return FeedbackEvent.objects.create(
        feedback=feedback,
        kind="submitted",
        actor=actor_or_none(by),
        from_status="",
        to_status=feedback.status,
    )
