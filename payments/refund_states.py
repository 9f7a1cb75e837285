"""A provider refund's workflow: the one table of which status may follow which, and the
only function that changes ``ProviderRefund.status``.

::

    pending ──(the provider says the money went back)──► succeeded (final)
       └─────(the provider refused or closed it)───────► failed (final: a staff task)

Each change writes one ``ContractEvent`` on the credit note's contract (when it has one)
in the caller's transaction, which holds the refund's row lock (``refund_lock``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.utils import timezone

from contracts.models import ContractEvent
from core.events import actor_or_none
from core.state_machine import StateMachine

from .models import ProviderRefund, RefundStatus

S = RefundStatus

REFUND_TRANSITIONS: dict[str, frozenset[str]] = {
    S.PENDING: frozenset({S.SUCCEEDED, S.FAILED}),
    S.SUCCEEDED: frozenset(),
    S.FAILED: frozenset(),
}

REFUNDS: StateMachine[ProviderRefund] = StateMachine(
    ProviderRefund, REFUND_TRANSITIONS, initial=frozenset({S.PENDING})
)

EVENT_KIND: Mapping[str, str] = {
    S.SUCCEEDED: "provider_refund_succeeded",
    S.FAILED: "provider_refund_failed",
}


def refund_lock(refund: ProviderRefund) -> ProviderRefund:
    """Lock the refund row in the caller's transaction and return it fresh."""
    return ProviderRefund.objects.select_for_update().get(pk=refund.pk)


def _event(
    *, by: Any, payload: Mapping[str, Any] | None
) -> Callable[[ProviderRefund, str, str], ContractEvent | None]:
    def build(refund: ProviderRefund, current: str, to: str) -> ContractEvent | None:
        contract_id = refund.credit_note.contract_id
        if not contract_id:
            return None  # a credit note outside any contract has no timeline
        return ContractEvent(
            contract_id=contract_id,
            kind=EVENT_KIND[to],
            actor=actor_or_none(by),
            payload={
                "refund": refund.reference,
                "credit_note": refund.credit_note.number,
                "amount": str(refund.amount),
                "provider": refund.provider,
                **(payload or {}),
            },
        )

    return build


def refund_close(
    locked: ProviderRefund,
    to: str,
    *,
    by: Any = None,
    updates: Mapping[str, Any] | None = None,
    payload: Mapping[str, Any] | None = None,
) -> ProviderRefund:
    """Pending → ``to`` (succeeded or failed) on the locked refund, stamping ``closed_at``,
    with its contract event."""
    values = {"closed_at": timezone.now(), **(updates or {})}
    return REFUNDS.change_locked(locked, to, event=_event(by=by, payload=payload), updates=values)
