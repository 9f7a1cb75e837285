"""Date arithmetic of a contact cadence, kept apart so that it is tested on its own at
month ends and leap days (no clock is read here: every date is an argument)."""

from __future__ import annotations

import datetime as dt

from retention.policy import add_months

from .models import CadenceUnit


def cadence_step(start: dt.date, *, every: int, unit: str) -> dt.date:
    """``start`` plus one cadence. Months are calendar months clamped to the month's
    last day: 31 January + 1 month is 28 February (29 in a leap year), and the step after
    that counts from that date again (the sweep always steps from the last contact)."""
    if unit == CadenceUnit.MONTHS:
        return add_months(start, every)
    return start + dt.timedelta(days=every)


def contact_opens_on(due: dt.date, *, lead_days: int) -> dt.date:
    """The first day a logged interaction counts for a contact due on ``due``."""
    return due - dt.timedelta(days=lead_days)


def next_contact_due(
    *,
    last_contact: dt.date | None,
    last_planned: dt.date | None,
    every: int,
    unit: str,
    as_of: dt.date,
) -> dt.date:
    """When the next contact of a kind is due: one cadence after the later of the last
    logged contact and the last closed planned contact; a customer never contacted (and
    never planned) is due on ``as_of``."""
    bases = [d for d in (last_contact, last_planned) if d is not None]
    if not bases:
        return as_of
    return cadence_step(max(bases), every=every, unit=unit)


def not_contacted_since(*, as_of: dt.date, days: int) -> dt.date:
    """Customers whose last contact is before this date are "not contacted in ``days``
    days" on ``as_of``."""
    return as_of - dt.timedelta(days=days)
