"""A cancellation request's workflow: the one table of which status may follow which, and
the one function that changes ``CancellationRequest.status``.

::

    submitted ──(offer accepted)──────────────► retained  (request withdrawn, contract kept)
        │  ├──(customer withdraws)────────────► withdrawn
        │  ├──(non-renewal: continue)─────────► confirmed
        │  └──(staff reject: invalid request)─► rejected
        ▼ continue to cancel (early termination)
    in_review ──(staff confirm, date fixed)───► confirmed ──(effective date)──► completed
        ├──(offer accepted / withdrawn / rejected, as from submitted)
    confirmed ──(non-renewal withdrawn before it takes effect)──► withdrawn

The table says what may follow what; the services (``retention/services/``) keep the
business conditions on top (a confirmed request may be withdrawn only if it is a
non-renewal not yet in effect, a request may be rejected only if it is invalid, ...) and
the idempotent answers to a second click. Creation is not a transition: a request starts
``submitted`` (``CancellationRequest.objects.create`` in ``cancellation_submit``).

Every change writes, in the caller's transaction, one row on the request's timeline
(``RequestEvent``, kind per target status as the progress page has always shown it) and
one on the contract's timeline (``ContractEvent`` ``cancellation_<kind>``), exactly the
rows the services wrote before this module existed. The caller holds the row locks, in
the services' order (contract first, then request: ``services.request_steps._locked``), and
passes the locked request; the change re-checks the table against it and writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from contracts import services as contract_services
from core.events import actor_or_none
from core.state_machine import StateMachine

from .models import CancellationRequest, RequestEvent, Status

_FINAL: frozenset[str] = frozenset()

REQUEST_STATES: StateMachine[CancellationRequest] = StateMachine(
    model=CancellationRequest,
    transitions={
        Status.SUBMITTED: frozenset(
            {Status.IN_REVIEW, Status.CONFIRMED, Status.RETAINED, Status.WITHDRAWN, Status.REJECTED}
        ),
        Status.IN_REVIEW: frozenset(
            {Status.CONFIRMED, Status.RETAINED, Status.WITHDRAWN, Status.REJECTED}
        ),
        Status.CONFIRMED: frozenset({Status.COMPLETED, Status.WITHDRAWN}),
        Status.COMPLETED: _FINAL,
        Status.WITHDRAWN: _FINAL,
        Status.RETAINED: _FINAL,
        Status.REJECTED: _FINAL,
    },
    initial=frozenset({Status.SUBMITTED}),
)

# The timeline's event kind for each status reached (the labels of models.EVENT_LABELS).
EVENT_KIND: Mapping[str, str] = {
    Status.IN_REVIEW: "in_review",
    Status.CONFIRMED: "confirmed",
    Status.COMPLETED: "completed",
    Status.WITHDRAWN: "withdrawn",
    Status.RETAINED: "offer_accepted",
    Status.REJECTED: "rejected",
}


def request_event_row(
    *,
    request: CancellationRequest,
    kind: str,
    by: Any = None,
    from_status: str = "",
    to_status: str = "",
    note: str = "",
    payload: Mapping[str, Any] | None = None,
    internal: bool = False,
) -> RequestEvent:
    """One (unsaved) row of the request's own timeline."""
    return RequestEvent(
        request=request,
        kind=kind,
        actor=actor_or_none(by),
        from_status=from_status,
        to_status=to_status,
        note=note[:500],
        payload=dict(payload or {}),
        internal=internal,
    )


def request_contract_event(
    *,
    request: CancellationRequest,
    kind: str,
    by: Any = None,
    note: str = "",
    payload: Mapping[str, Any] | None = None,
) -> None:
    """The row a request's event leaves on its contract's timeline."""
    contract_services.event_record(
        contract=request.contract,
        kind=f"cancellation_{kind}",
        by=by,
        reason=note,
        payload={"request": request.pk, "kind": request.kind, **(payload or {})},
    )


def request_status_change(
    request: CancellationRequest,
    to: str,
    *,
    by: Any,
    note: str = "",
    payload: Mapping[str, Any] | None = None,
    updates: Mapping[str, Any] | None = None,
    expect_from: Iterable[str] | None = None,
) -> CancellationRequest:
    """Move ``request`` (locked by the caller in the current transaction) to ``to``, with
    ``updates`` (the columns that go with it); write its timeline rows, published after
    the commit. Refused with ``InvalidTransition`` (a translated message) if the table
    does not allow it. ``request`` is updated in place and returned."""
    # A status no change reaches (submitted) has no kind: the table refuses it first.
    kind = EVENT_KIND.get(to, to)

    def event(locked: CancellationRequest, src: str, dst: str) -> RequestEvent:
        return request_event_row(
            request=locked,
            kind=kind,
            by=by,
            from_status=src,
            to_status=dst,
            note=note,
            payload=payload,
        )

    REQUEST_STATES.change_locked(request, to, event=event, expect_from=expect_from, updates=updates)
    request_contract_event(request=request, kind=kind, by=by, note=note, payload=payload)
    return request
