"""The loyalty app's Celery tasks (both on the ``sweeps`` queue, beat entries in
``notifications/schedule.py``). Loaded by Celery's autodiscovery; nothing in the app
imports this module."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from .sweeps import expiry_sweep, tenure_sweep


@shared_task(name="loyalty.tasks.points_expiry_task", time_limit=3600, soft_time_limit=3500)
def points_expiry_task() -> dict:
    summary = expiry_sweep(on=timezone.localdate())
    return {"customers": summary.customers, "entries": summary.entries, "points": summary.points}


@shared_task(name="loyalty.tasks.tenure_points_task", time_limit=3600, soft_time_limit=3500)
def tenure_points_task() -> dict:
    summary = tenure_sweep(on=timezone.localdate())
    return {"customers": summary.customers, "entries": summary.entries, "points": summary.points}
