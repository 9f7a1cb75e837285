"""What the contract pages say about an automatic renewal the rules changed (read only).

``lifecycle.auto_renewal`` writes two outcomes as contract events that would otherwise
only show on the timelines:

- **held**: the term's automatic renewal was held (``auto_renewal_held``, once per term):
  the staff contract page says why and points to the account manager's task, the portal
  asks the customer to confirm;
- **open-ended**: the contract is the open-ended continuation of an earlier term
  (``continues_open_ended``, Germany): both pages say it runs month by month and can be
  ended at any time with the notice the rules give.

A separate module from ``lifecycle.compliance_renewal``: that one is read by
``lifecycle.auto_renewal``, whose event kinds this one reads.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts.models import Contract, ContractEvent, ContractStatus
from core.models import Task
from core.stored_texts import contract_event_reason_display
from renewals.services.outcomes import blocked_auto_renewal_key

from . import compliance_renewal
from .auto_renewal import HELD, OPEN_ENDED
from .term_changes import SUCCESSOR_TAKES_OVER

S = ContractStatus
HELD_SHOWN = (S.ACTIVE, S.EXPIRED)
OPEN_ENDED_SHOWN = (S.SCHEDULED, S.ACTIVE)


@dataclass(frozen=True)
class AutoRenewalState:
    """``kind`` is ``HELD`` or ``OPEN_ENDED``. Held: ``reason`` (in the reader's language),
    its ``cause`` (``compliance_renewal.CAUSE_*``) and the account manager's ``task``
    (None if it was never created). Open-ended:
    ``notice_months``, the most notice the customer ever has to give."""

    kind: str
    reason: str = ""
    task: Task | None = None
    notice_months: int = 0
    cause: str = ""

    @property
    def price_rise(self) -> bool:
        return self.cause == compliance_renewal.CAUSE_PRICE_RISE

    @property
    def held(self) -> bool:
        return self.kind == HELD

    @property
    def open_ended(self) -> bool:
        return self.kind == OPEN_ENDED


def _hold_reasons(event: ContractEvent) -> list[compliance_renewal.HoldReason] | None:
    payload = event.payload if isinstance(event.payload, dict) else {}
    reasons = payload.get("hold_reasons")
    return reasons if isinstance(reasons, list) and reasons else None


def held_reason_text(event: ContractEvent) -> str:
    """Why an ``auto_renewal_held`` event held the renewal, in the active language (an
    event written before the reasons were kept as codes: its reason as written)."""
    reasons = _hold_reasons(event)
    return compliance_renewal.hold_reasons_text(reasons) if reasons else event.reason


def held_cause(event: ContractEvent) -> str:
    reasons = _hold_reasons(event)
    return compliance_renewal.hold_cause(reasons) if reasons else compliance_renewal.CAUSE_NO_NOTICE


def event_reason_text(event: ContractEvent) -> str:
    """A contract event's reason for a timeline, in the reader's language: a hold's from
    its codes; a reason the code wrote rebuilt in the reader's language whichever language
    it was stored in (core.stored_texts); one stored as an English source text (a case's
    flag) translated; any other as written."""
    if event.kind == HELD:
        return held_reason_text(event)
    return contract_event_reason_display(event.reason)


def blocked_renewal_task(contract: Contract) -> Task | None:
    """The account manager's task of a held renewal (renewals'
    ``case_open_for_blocked_auto_renewal`` creates it under this key, once per contract)."""
    return (
        Task.objects.filter(contract=contract, dedupe_key=blocked_auto_renewal_key(contract))
        .select_related("assignee")
        .first()
    )


def auto_renewal_state(contract: Contract) -> AutoRenewalState | None:
    """The held or open-ended state to show on the contract's pages, or None.

    Held is shown for the current term only, while the contract is active or expired and
    no successor has taken over (renewed by hand after all: nothing to say any more)."""
    if contract.status in HELD_SHOWN:
        held = (
            ContractEvent.objects.filter(
                contract=contract, kind=HELD, payload__term_end=contract.end_date.isoformat()
            )
            .order_by("-at", "-id")
            .first()
        )
        if (
            held is not None
            and not Contract.objects.filter(
                predecessor=contract, status__in=SUCCESSOR_TAKES_OVER
            ).exists()
        ):
            return AutoRenewalState(
                kind=HELD,
                reason=held_reason_text(held),
                task=blocked_renewal_task(contract),
                cause=held_cause(held),
            )
    if contract.status in OPEN_ENDED_SHOWN:
        event = (
            ContractEvent.objects.filter(contract=contract, kind=OPEN_ENDED)
            .order_by("-at", "-id")
            .first()
        )
        if event is not None:
            months = event.payload.get("notice_months") if isinstance(event.payload, dict) else 1
            return AutoRenewalState(kind=OPEN_ENDED, notice_months=int(months or 1))
    return None
