"""A renewal case's workflow: which stage may follow which, and the one way to change it.

Nothing else assigns ``RenewalCase.stage``. A case is created in "intent pending" (by
``case_open`` or the daily ``renewal_cases_open_due``); every later stage is reached
through :func:`case_stage_change` (one case, locked first with :func:`case_lock`) or
:func:`cases_stage_change_locked` (a sweep holding the locks). Each change writes one
``ContractEvent`` on the renewed contract's timeline, kind ``renewal_<stage>`` unless
the caller names another, with ``{"case", "from_stage", "to_stage", ...}`` in the
payload and the contract's own ``from_status``/``to_status`` left empty (those columns
mean a contract status change to the webhooks).

Lock order, everywhere in renewals: the case row first (:func:`case_lock`), then its
quote, then contract rows, then invoices.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.utils import timezone

from contracts.models import ContractEvent
from core.events import actor_or_none
from core.state_machine import StateMachine
from renewals.models import RenewalCase, Stage

# Which stage may follow which, as the services move a case:
# - the customer's answer: intent pending → responded; responded → responded (a second
#   answer); quote sent → responded (they want changes) or → quote sent (they accept the
#   quote that is out: the answer is recorded, the stage stays);
# - sending a quote: intent pending / responded → quote sent; quote sent → quote sent
#   (a revised quote sent again);
# - signing: quote sent → signed; paying the first invoice: signed → paid;
# - winning (successor takes over, by hand or automatically): any open stage → won;
# - losing: any stage before the signature → lost;
# - undoing: the customer undid a renewal that was made (an automatic renewal undone in
#   its window, a withdrawal from the new contract): won → lost, only through
#   ``case_lose_undone_renewal`` (case_lose refuses a won case);
# - the new contract voided: signed or paid → lost, only through
#   ``case_on_successor_voided`` (staff voided the successor on its page, or the customer
#   withdrew from it before it started). A signature is a contract, so ``case_lose``
#   refuses a signed or paid case: only the void of that contract ends the renewal.
# Lost is final.
CASE_STAGE_TRANSITIONS: dict[str, frozenset[str]] = {
    Stage.INTENT_PENDING: frozenset({Stage.RESPONDED, Stage.QUOTE_SENT, Stage.WON, Stage.LOST}),
    Stage.RESPONDED: frozenset({Stage.RESPONDED, Stage.QUOTE_SENT, Stage.WON, Stage.LOST}),
    Stage.QUOTE_SENT: frozenset(
        {Stage.RESPONDED, Stage.QUOTE_SENT, Stage.SIGNED, Stage.WON, Stage.LOST}
    ),
    Stage.SIGNED: frozenset({Stage.PAID, Stage.WON, Stage.LOST}),
    Stage.PAID: frozenset({Stage.WON, Stage.LOST}),
    Stage.WON: frozenset({Stage.LOST}),
    Stage.LOST: frozenset(),
}

CASE_STAGES: StateMachine[RenewalCase] = StateMachine(
    RenewalCase,
    CASE_STAGE_TRANSITIONS,
    attr="stage",
    initial=frozenset({Stage.INTENT_PENDING}),
)

CLOSING_STAGES = (Stage.WON, Stage.LOST)
# Stages a case can be lost from by a decision (``case_lose``, a term ending unrenewed):
# before the signature. Past it, only the void of the new contract loses the case.
LOSABLE_STAGES = (Stage.INTENT_PENDING, Stage.RESPONDED, Stage.QUOTE_SENT)


Payload = Mapping[str, Any] | Callable[[RenewalCase], Mapping[str, Any]] | None


def case_lock(case: RenewalCase) -> RenewalCase:
    """Lock the case row (inside the caller's transaction) and return it fresh, with its
    contract. The first lock any renewal action takes."""
    return RenewalCase.objects.select_for_update().select_related("contract").get(pk=case.pk)


def _event_factory(
    *, by: Any, kind: str | None, reason: str, payload: Payload
) -> Callable[[RenewalCase, str, str], ContractEvent]:
    def build(case: RenewalCase, current: str, to: str) -> ContractEvent:
        extra = payload(case) if callable(payload) else payload
        return ContractEvent(
            contract_id=case.contract_id,
            kind=kind or f"renewal_{to}",
            actor=actor_or_none(by),
            reason=reason[:500],
            payload={"case": case.pk, "from_stage": current, "to_stage": to, **(extra or {})},
        )

    return build


def _with_closed_at(to: str, updates: Mapping[str, Any] | None) -> dict[str, Any]:
    values = dict(updates or {})
    if to in CLOSING_STAGES:
        values["closed_at"] = timezone.now()
    return values


def case_stage_change(
    locked: RenewalCase,
    to: str,
    *,
    by: Any = None,
    kind: str | None = None,
    reason: str = "",
    payload: Payload = None,
    updates: Mapping[str, Any] | None = None,
    expect_from: Sequence[str] | None = None,
) -> RenewalCase:
    """Move one case to ``to``: ``locked`` is the case as :func:`case_lock` returned it in
    the current transaction (every renewal action takes the case lock first, so the
    change takes no second one). Checks the table (and ``expect_from``, the stages this
    action may start from), writes the stage, ``updates`` and ``closed_at`` for a final
    stage, and the event, published after the commit. Raises ``InvalidTransition`` when
    the table refuses. ``locked`` is updated and returned."""
    return CASE_STAGES.change_locked(
        locked,
        to,
        event=_event_factory(by=by, kind=kind, reason=reason, payload=payload),
        expect_from=expect_from,
        updates=_with_closed_at(to, updates),
    )


def cases_stage_change_locked(
    cases: Sequence[RenewalCase],
    to: str,
    *,
    by: Any = None,
    kind: str | None = None,
    reason: str = "",
    payload: Payload = None,
    updates: Mapping[str, Any] | None = None,
) -> list[RenewalCase]:
    """The batch form for sweeps: the caller holds ``select_for_update`` on every case in
    its transaction. Same table and events as :func:`case_stage_change`; all or nothing.
    The events are inserted together and published with ``events_publish``."""
    return CASE_STAGES.change_locked_many(
        cases,
        to,
        event=_event_factory(by=by, kind=kind, reason=reason, payload=payload),
        updates=_with_closed_at(to, updates),
    )
