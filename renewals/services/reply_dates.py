"""The day by which staff answer a customer's renewal answer."""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from retention.policy import business_days_add


def reply_due_date(*, start: dt.date) -> dt.date:
    """The day by which staff answer a customer's renewal answer (send the offer, call back):
    RENEWAL_REPLY_BUSINESS_DAYS business days after ``start`` (default 2, weekends and the
    configured HOLIDAYS not counted). The portal tells the customer this date."""
    days = int(settings.RENEWDESK.get("RENEWAL_REPLY_BUSINESS_DAYS", 2))
    holidays = frozenset(settings.RENEWDESK.get("HOLIDAYS", ()))
    at = dt.datetime.combine(start, dt.time(12))
    return business_days_add(at, days, holidays=holidays).date()
