from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from .services import renewal_cases_open_due


@shared_task(acks_late=True)
def open_renewal_cases_task(as_of: str | None = None) -> int:
    """Daily sweep: open a renewal case for every active contract ending within
    RENEWDESK["RENEWAL_CASE_OPEN_DAYS"] days. Set-based and idempotent."""
    day = dt.date.fromisoformat(as_of) if as_of else timezone.localdate()
    return renewal_cases_open_due(as_of=day)
