"""A saved payment method's (mandate's) workflow: the one table of which status may follow
which, and the only function that changes ``PaymentMandate.status``.

::

    pending ──(verified mandate event or query)──► active ──(customer withdraws)──► revoked
       ├──(the provider refused / never finished)──► failed
       └──(the customer withdrew before it finished)──► revoked
    active ──(the provider ended it: card detached, agreement unsigned)──► revoked

Each change writes one ``ContractEvent`` on the mandate's contract (when it has one) in the
caller's transaction, which holds the mandate's row lock (``mandate_lock``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.utils import timezone

from contracts.models import ContractEvent
from core.events import actor_or_none
from core.state_machine import StateMachine

from .models import MandateStatus, PaymentMandate

S = MandateStatus

MANDATE_TRANSITIONS: dict[str, frozenset[str]] = {
    S.PENDING: frozenset({S.ACTIVE, S.FAILED, S.REVOKED}),
    S.ACTIVE: frozenset({S.REVOKED}),
    S.REVOKED: frozenset(),
    S.FAILED: frozenset(),
}

MANDATES: StateMachine[PaymentMandate] = StateMachine(
    PaymentMandate, MANDATE_TRANSITIONS, initial=frozenset({S.PENDING})
)

EVENT_KIND: Mapping[str, str] = {
    S.ACTIVE: "payment_method_saved",
    S.FAILED: "payment_method_failed",
    S.REVOKED: "payment_method_revoked",
}


def mandate_lock(mandate: PaymentMandate) -> PaymentMandate:
    """Lock the mandate row in the caller's transaction and return it fresh."""
    return PaymentMandate.objects.select_for_update().get(pk=mandate.pk)


def _event(
    *, by: Any, payload: Mapping[str, Any] | None
) -> Callable[[PaymentMandate, str, str], ContractEvent | None]:
    def build(mandate: PaymentMandate, current: str, to: str) -> ContractEvent | None:
        if not mandate.contract_id:
            return None
        return ContractEvent(
            contract_id=mandate.contract_id,
            kind=EVENT_KIND[to],
            actor=actor_or_none(by),
            payload={
                "mandate": mandate.reference,
                "provider": mandate.provider,
                "display": mandate.display,
                **(payload or {}),
            },
        )

    return build


def mandate_change(
    locked: PaymentMandate,
    to: str,
    *,
    by: Any = None,
    updates: Mapping[str, Any] | None = None,
    payload: Mapping[str, Any] | None = None,
) -> PaymentMandate:
    """Change the locked mandate's status with its contract event; becoming active stamps
    ``activated_at``, ending stamps ``ended_at``."""
    values = dict(updates or {})
    if to == S.ACTIVE:
        values.setdefault("activated_at", timezone.now())
    else:
        values.setdefault("ended_at", timezone.now())
    return MANDATES.change_locked(locked, to, event=_event(by=by, payload=payload), updates=values)
