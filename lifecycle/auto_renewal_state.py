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

from .auto_renewal import HELD, OPEN_ENDED
from .term_changes import SUCCESSOR_TAKES_OVER

S = ContractStatus
HELD_SHOWN = (S.ACTIVE, S.EXPIRED)
OPEN_ENDED_SHOWN = (S.SCHEDULED, S.ACTIVE)


@dataclass(frozen=True)
class AutoRenewalState:
    """``kind`` is ``HELD`` or ``OPEN_ENDED``. Held: ``reason`` (as written for staff) and
    the account manager's ``task`` (None if it was never created). Open-ended:
    ``notice_months``, the most notice the customer ever has to give."""

    kind: str
    reason: str = ""
    task: Task | None = None
    notice_months: int = 0

    @property
    def held(self) -> bool:
        return self.kind == HELD

    @property
    def open_ended(self) -> bool:
        return self.kind == OPEN_ENDED


def blocked_renewal_task(contract: Contract) -> Task | None:
    """The account manager's task of a held renewal (renewals'
    ``case_open_for_blocked_auto_renewal`` creates it under this key, once per contract)."""
    return (
        Task.objects.filter(contract=contract, dedupe_key=f"auto-renew-blocked:{contract.pk}")
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
                kind=HELD, reason=held.reason, task=blocked_renewal_task(contract)
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
