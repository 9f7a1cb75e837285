"""The Contract workflow: which status may follow which, and the one way to change it.

Nothing else assigns ``Contract.status``: the services (``contracts/services.py``), the
end-of-term processing (``lifecycle/``) and the imports change it through
:func:`contract_transition` (one contract: lock, check, write, event) or
:func:`contracts_transition_locked` (a chunk the caller has locked: one UPDATE per old
status, one INSERT of events). Both follow the same table and the same named changes
below, so a batch path cannot drift from the single one.

A contract is created as a draft, or by an import in the status its dates give
(``imported_status``): creation is not a transition.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.events import actor_or_none
from core.state_machine import EventFactory, StateMachine

from .models import Contract, ContractEvent, ContractStatus

S = ContractStatus

# Which status may follow which. Anything else is refused with InvalidTransition.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.AWAITING_SIGNATURE, S.VOID}),
    S.AWAITING_SIGNATURE: frozenset({S.DRAFT, S.AWAITING_PAYMENT, S.VOID}),
    S.AWAITING_PAYMENT: frozenset({S.SCHEDULED, S.ACTIVE, S.VOID}),
    S.SCHEDULED: frozenset({S.ACTIVE, S.VOID}),
    S.ACTIVE: frozenset({S.RENEWED, S.EXPIRED, S.TERMINATED}),
    # An automatic renewal the customer undid within the undo window: the old term ends
    # as it would have without the renewal (lifecycle/renewal_undo.py).
    S.RENEWED: frozenset({S.EXPIRED}),
    S.EXPIRED: frozenset(),
    S.TERMINATED: frozenset(),
    S.VOID: frozenset(),
}

contract_workflow: StateMachine[Contract] = StateMachine(
    Contract,
    ALLOWED_TRANSITIONS,
    # Staff create drafts; an import creates a contract in the status of its dates.
    initial=frozenset({S.DRAFT, S.SCHEDULED, S.ACTIVE, S.EXPIRED}),
)

# Other apps react to the event rows written here, after the commit: the reactions are
# declared in lifecycle/subscriptions.py (no signal).


@dataclass(frozen=True)
class ContractChange:
    """One named change of the workflow: where it goes, the event kind it writes, the
    statuses it may start from (besides the table) and whether it ends the term."""

    to: str
    kind: str = "status_changed"
    expect_from: frozenset[str] | None = None
    ends_term: bool = False


SEND_FOR_SIGNATURE = ContractChange(S.AWAITING_SIGNATURE, "sent_for_signature")
# An automatic renewal's successor: no document is sent, the consent is the agreement.
SEND_AUTO_RENEWAL = ContractChange(S.AWAITING_SIGNATURE, "auto_renewal")
RETURN_TO_DRAFT = ContractChange(S.DRAFT, "returned_to_draft")
SIGN = ContractChange(S.AWAITING_PAYMENT, "signed")
PAID_ACTIVE = ContractChange(S.ACTIVE, "paid")
PAID_SCHEDULED = ContractChange(S.SCHEDULED, "paid")
SCHEDULE = ContractChange(S.SCHEDULED, "scheduled")
# A scheduled term on its start date, or an auto-renewal's successor that starts at once.
ACTIVATE = ContractChange(
    S.ACTIVE, "activated", expect_from=frozenset({S.SCHEDULED, S.AWAITING_PAYMENT})
)
MARK_RENEWED = ContractChange(S.RENEWED, "renewed", ends_term=True)
EXPIRE = ContractChange(S.EXPIRED, "expired", ends_term=True)
TERMINATE = ContractChange(S.TERMINATED, "terminated", ends_term=True)
VOID = ContractChange(S.VOID, "voided")
# The renewal that ended this term was undone (or withdrawn from): it expired after all.
RENEWAL_UNDONE = ContractChange(S.EXPIRED, "renewal_undone", expect_from=frozenset({S.RENEWED}))

Payload = Callable[[Contract], Mapping[str, Any] | None] | Mapping[str, Any] | None


def contract_event_new(
    *,
    contract: Contract,
    kind: str,
    by: Any = None,
    from_status: str = "",
    to_status: str = "",
    reason: str = "",
    payload: Mapping[str, Any] | None = None,
) -> ContractEvent:
    """A contract's event row, not saved yet: the one place that shapes it (the services'
    ``event_record``, the transitions below and the bulk import all build it here)."""
    return ContractEvent(
        contract=contract,
        kind=kind,
        actor=actor_or_none(by),
        from_status=from_status,
        to_status=to_status,
        reason=reason[:500],
        payload=dict(payload or {}),
    )


def renewed_payload(successor: Contract) -> dict[str, Any]:
    """What a renewed contract's event says about the successor that took over."""
    return {"successor": successor.number}


def imported_status(start_date: dt.date, end_date: dt.date, today: dt.date) -> str:
    """The status an imported contract starts in: its term ended, is running or is to come."""
    if end_date < today:
        return S.EXPIRED
    if start_date > today:
        return S.SCHEDULED
    return S.ACTIVE


def _events(change: ContractChange, *, by: Any, reason: str, payload: Payload) -> EventFactory:
    def build(contract: Contract, current: str, to: str) -> ContractEvent:
        return contract_event_new(
            contract=contract,
            kind=change.kind,
            by=by,
            from_status=current,
            to_status=to,
            reason=reason,
            payload=payload(contract) if callable(payload) else payload,
        )

    return build


def _values(change: ContractChange, updates: Mapping[str, Any] | None) -> dict[str, Any]:
    return {**({"ended_at": timezone.now()} if change.ends_term else {}), **(updates or {})}


def contract_transition(
    *,
    contract: Contract,
    change: ContractChange,
    by: Any = None,
    reason: str = "",
    payload: Payload = None,
    updates: Mapping[str, Any] | None = None,
) -> Contract:
    """Lock the row, check the change, write it and its event in one transaction.

    Two callers racing on the same contract queue on the row lock; the second one sees
    the new status and is refused, so exactly one transition happens. ``contract`` is
    updated with what was written and returned.
    """
    with transaction.atomic():
        contract_workflow.change(
            contract,
            change.to,
            event=_events(change, by=by, reason=reason, payload=payload),
            expect_from=change.expect_from,
            updates=_values(change, updates),
        )
    return contract


def contracts_transition_locked(
    *,
    contracts: Sequence[Contract],
    change: ContractChange,
    by: Any = None,
    reason: str = "",
    payload: Payload = None,
    updates: Mapping[str, Any] | None = None,
) -> list[Contract]:
    """:func:`contract_transition` for many rows the caller has locked already.

    For set-based sweeps (end-of-term processing): the caller holds ``select_for_update``
    on every row in the current transaction and passes those fresh instances, so the
    check sees the committed status. Same table, same event rows, published after the
    commit alike, with one UPDATE and one INSERT for all of them. All or nothing: one refused
    transition refuses the batch. ``payload`` may be a function of the contract.
    """
    changed = contract_workflow.change_locked_many(
        contracts,
        change.to,
        event=_events(change, by=by, reason=reason, payload=payload),
        expect_from=change.expect_from,
        updates=_values(change, updates),
    )
    return changed
