from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from .ends import process_contract_ends


@shared_task(acks_late=True)
def process_contract_ends_task(as_of: str | None = None) -> dict:
    """Daily sweep (Celery beat). ``as_of`` is an ISO date; default today in the business
    time zone. Idempotent, so a redelivered or doubled run is harmless."""
    day = dt.date.fromisoformat(as_of) if as_of else timezone.localdate()
    return process_contract_ends(as_of=day).as_dict()
