"""A campaign's workflow, the only place that assigns ``Campaign.status``::

    draft ──(schedule)──► scheduled ──(sweep claims it)──► sending ──► sent
      ▲  │                   │
      │  └──► cancelled ◄────┤
      └───(unschedule)───────┘

Every change writes a ``CampaignEvent`` in the same transaction (core.state_machine).
Staff changes lock the row; the sweep claims a due campaign by compare-and-swap
(``StateMachine.change_if``), so two sweeps never both send it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from core.events import actor_or_none
from core.state_machine import StateMachine

from .campaign_models import Campaign, CampaignEvent, CampaignStatus

C = CampaignStatus

CAMPAIGN_TRANSITIONS: dict[str, frozenset[str]] = {
    C.DRAFT: frozenset({C.SCHEDULED, C.CANCELLED}),
    C.SCHEDULED: frozenset({C.DRAFT, C.SENDING, C.CANCELLED}),
    C.SENDING: frozenset({C.SENT}),
    C.SENT: frozenset(),
    C.CANCELLED: frozenset(),
}

CAMPAIGN: StateMachine[Campaign] = StateMachine(
    Campaign, CAMPAIGN_TRANSITIONS, initial=frozenset({C.DRAFT})
)


def _event(
    *, by: Any, kind: str, payload: Mapping[str, Any] | None = None
) -> Callable[[Campaign, str, str], CampaignEvent]:
    def build(campaign: Campaign, current: str, to: str) -> CampaignEvent:
        return CampaignEvent(
            campaign=campaign,
            kind=kind,
            actor=actor_or_none(by),
            from_status=current,
            to_status=to,
            payload=dict(payload or {}),
        )

    return build


def campaign_change(
    campaign: Campaign,
    to: str,
    *,
    by: Any,
    kind: str,
    updates: Mapping[str, Any] | None = None,
    payload: Mapping[str, Any] | None = None,
) -> Campaign:
    """A staff change (schedule, unschedule, cancel): lock, check, write, event."""
    return CAMPAIGN.change(
        campaign, to, event=_event(by=by, kind=kind, payload=payload), updates=updates
    )


def campaign_claim(pk: int, *, now: dt.datetime) -> bool:
    """The sweep takes a due scheduled campaign: scheduled → sending, if still scheduled
    and due. False: another sweep took it, or staff changed it."""
    return CAMPAIGN.change_if(
        pk,
        C.SENDING,
        expect_from=[C.SCHEDULED],
        where={"scheduled_at__lte": now},
        updates={"claimed_at": now},
        event=_event(by=None, kind="sending"),
    )


def campaign_finish(pk: int, *, now: dt.datetime, claimed_at: dt.datetime, counts: dict) -> bool:
    """sending → sent, by the sweep that still holds the claim."""
    return CAMPAIGN.change_if(
        pk,
        C.SENT,
        expect_from=[C.SENDING],
        where={"claimed_at": claimed_at},
        updates={"sent_at": now},
        event=_event(by=None, kind="sent", payload=counts),
    )
