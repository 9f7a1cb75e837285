"""Shared by the renewal services: the stage table and the case lock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts.services import event_record
from core.errors import InvalidTransition
from renewals.models import (
    RenewalCase,
    Stage,
)

BATCH_SIZE = 500

# Which stage may follow which. Staying in a stage (e.g. a revised quote re-sent) is an
# update, not a transition. WON and LOST are final.
ALLOWED_STAGES: dict[str, frozenset[str]] = {
    Stage.INTENT_PENDING: frozenset(
        {Stage.RESPONDED, Stage.QUOTE_SENT, Stage.SIGNED, Stage.WON, Stage.LOST}
    ),
    Stage.RESPONDED: frozenset({Stage.QUOTE_SENT, Stage.SIGNED, Stage.WON, Stage.LOST}),
    Stage.QUOTE_SENT: frozenset({Stage.RESPONDED, Stage.SIGNED, Stage.WON, Stage.LOST}),
    Stage.SIGNED: frozenset({Stage.PAID, Stage.WON, Stage.LOST}),
    Stage.PAID: frozenset({Stage.WON}),
    Stage.WON: frozenset(),
    Stage.LOST: frozenset(),
}


def reply_due_date(*, start: dt.date) -> dt.date:
    """The day by which staff answer a customer's renewal answer (send the offer, call back):
    RENEWAL_REPLY_BUSINESS_DAYS business days after ``start`` (default 2, weekends and the
    configured HOLIDAYS not counted). The portal tells the customer this date."""
    from retention.policy import business_days_add

    days = int(settings.RENEWDESK.get("RENEWAL_REPLY_BUSINESS_DAYS", 2))
    holidays = frozenset(settings.RENEWDESK.get("HOLIDAYS", ()))
    at = dt.datetime.combine(start, dt.time(12))
    return business_days_add(at, days, holidays=holidays).date()


def _actor(by: Any) -> Any:
    return by if getattr(by, "is_authenticated", False) else None


def _lock_case(case: RenewalCase) -> RenewalCase:
    return RenewalCase.objects.select_for_update().select_related("contract").get(pk=case.pk)


def _set_stage(
    locked: RenewalCase,
    to: str,
    *,
    by: Any,
    reason: str = "",
    payload: dict[str, Any] | None = None,
    fields: Sequence[str] = (),
    kind: str | None = None,
) -> None:
    """Move a locked case to another stage and write the event on the contract's timeline."""
    current = locked.stage
    if to != current and to not in ALLOWED_STAGES[current]:
        raise InvalidTransition(
            _("A renewal that is “%(current)s” cannot become “%(target)s”.")
            % {"current": Stage(current).label, "target": Stage(to).label}
        )
    locked.stage = to
    if to in (Stage.WON, Stage.LOST):
        locked.closed_at = timezone.now()
    locked.save(update_fields=["stage", "closed_at", "updated_at", *fields])
    event_record(
        contract=locked.contract,
        kind=kind or f"renewal_{to}",
        by=by,
        from_status="",
        to_status="",
        reason=reason,
        payload={"case": locked.pk, "from_stage": current, "to_stage": to, **(payload or {})},
    )
