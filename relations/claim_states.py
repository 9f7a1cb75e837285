"""A compensation claim's workflow: filed → approved → credited (the credit note is
issued in the approval's transaction), or filed → rejected. Nothing else assigns
``CompensationClaim.status``; every change writes a ``SlaClaimEvent`` in the same
transaction (core.state_machine). Filing writes the first event (creation is not a
transition)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from core.events import actor_or_none
from core.state_machine import StateMachine

from .service_level_models import ClaimStatus, CompensationClaim, SlaClaimEvent

C = ClaimStatus

CLAIM_TRANSITIONS: dict[str, frozenset[str]] = {
    C.FILED: frozenset({C.APPROVED, C.REJECTED}),
    C.APPROVED: frozenset({C.CREDITED}),
    C.REJECTED: frozenset(),
    C.CREDITED: frozenset(),
}

CLAIM: StateMachine[CompensationClaim] = StateMachine(
    CompensationClaim, CLAIM_TRANSITIONS, initial=frozenset({C.FILED})
)


def _payload(claim: CompensationClaim) -> dict[str, Any]:
    payload: dict[str, Any] = {"measurement": claim.measurement_id}
    if claim.amount is not None:
        payload["amount"] = str(claim.amount)
    if claim.credit_note_id:
        payload["credit_note"] = claim.credit_note_id
    return payload


def _event(*, by: Any, kind: str) -> Callable[[CompensationClaim, str, str], SlaClaimEvent]:
    def build(claim: CompensationClaim, current: str, to: str) -> SlaClaimEvent:
        return SlaClaimEvent(
            claim=claim,
            kind=kind,
            actor=actor_or_none(by),
            from_status=current,
            to_status=to,
            payload=_payload(claim),
        )

    return build


def claim_filed_event(claim: CompensationClaim, *, by: Any) -> SlaClaimEvent:
    """The first row of a new claim's history (written by the filing service)."""
    event = SlaClaimEvent(
        claim=claim,
        kind="sla_claim_filed",
        actor=actor_or_none(by),
        from_status="",
        to_status=claim.status,
        payload=_payload(claim),
    )
    event.save()
    return event


def claim_change_locked(
    claim: CompensationClaim,
    to: str,
    *,
    by: Any = None,
    kind: str,
    updates: Mapping[str, Any] | None = None,
) -> CompensationClaim:
    """Change one claim the caller holds ``select_for_update`` on."""
    return CLAIM.change_locked(claim, to, event=_event(by=by, kind=kind), updates=updates)
