"""A planned contact's workflow: planned → done (an interaction of its kind was logged) or
skipped. Nothing else assigns ``PlannedContact.status``; every change writes a
``PlannedContactEvent`` in the same transaction (core.state_machine)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from core.events import actor_or_none
from core.state_machine import StateMachine

from .models import PlannedContact, PlannedContactEvent, PlannedContactStatus

P = PlannedContactStatus

PLANNED_CONTACT_TRANSITIONS: dict[str, frozenset[str]] = {
    P.PLANNED: frozenset({P.DONE, P.SKIPPED}),
    P.DONE: frozenset(),
    P.SKIPPED: frozenset(),
}

PLANNED_CONTACT: StateMachine[PlannedContact] = StateMachine(
    PlannedContact, PLANNED_CONTACT_TRANSITIONS, initial=frozenset({P.PLANNED})
)


def _event(*, by: Any, kind: str) -> Callable[[PlannedContact, str, str], PlannedContactEvent]:
    def build(planned: PlannedContact, current: str, to: str) -> PlannedContactEvent:
        payload = {"interaction": planned.interaction_id} if planned.interaction_id else {}
        return PlannedContactEvent(
            planned_contact=planned,
            kind=kind,
            actor=actor_or_none(by),
            from_status=current,
            to_status=to,
            payload=payload,
        )

    return build


def planned_contact_change_locked(
    planned: PlannedContact,
    to: str,
    *,
    by: Any = None,
    kind: str = "status_changed",
    updates: Mapping[str, Any] | None = None,
) -> PlannedContact:
    """Change one row the caller holds ``select_for_update`` on."""
    return PLANNED_CONTACT.change_locked(
        planned, to, event=_event(by=by, kind=kind), updates=updates
    )


def planned_contacts_change_locked(
    rows: Sequence[PlannedContact],
    to: str,
    *,
    kind: str,
    updates: Mapping[str, Any] | None = None,
) -> list[PlannedContact]:
    """The batch form, for the reconciliation sweep (rows locked by the caller)."""
    return PLANNED_CONTACT.change_locked_many(
        rows, to, event=_event(by=None, kind=kind), updates=updates
    )
