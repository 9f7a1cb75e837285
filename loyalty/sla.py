"""The priority response privilege: a member level may promise a first answer to the
member's feedback and complaints within ``response_hours`` (PrivilegeKind.PRIORITY_SLA).

insights (above loyalty) reads it when a request is filed and keeps the earlier of the
severity's deadline and this one (insights.feedback.feedback_deadline)."""

from __future__ import annotations

import datetime as dt

from customers.models import Customer

from .models import Level, PrivilegeKind
from .selectors import member_level


def level_response_hours(*, level: Level | None) -> int | None:
    """The shortest response time a level's priority privileges promise, or None."""
    if level is None:
        return None
    hours = (
        level.privileges.filter(
            kind=PrivilegeKind.PRIORITY_SLA, response_hours__isnull=False, response_hours__gt=0
        )
        .order_by("response_hours", "id")
        .values_list("response_hours", flat=True)
        .first()
    )
    return int(hours) if hours is not None else None


def priority_response_hours(*, customer: Customer, on: dt.date) -> tuple[int, Level] | None:
    """(hours, level) when the customer's member level on the business date ``on`` has a
    priority response privilege; None otherwise."""
    level = member_level(customer=customer, on=on)
    hours = level_response_hours(level=level)
    if level is None or hours is None:
        return None
    return hours, level
