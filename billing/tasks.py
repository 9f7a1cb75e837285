from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from .services import dunning_sweep


@shared_task(acks_late=True)
def send_dunning_reminders_task(as_of: str | None = None) -> int:
    """Daily sweep: a reminder for each open invoice overdue beyond the grace period
    (then weekly, three at most). Each reminder is claimed, so reruns send nothing twice."""
    day = dt.date.fromisoformat(as_of) if as_of else timezone.localdate()
    return dunning_sweep(as_of=day)
