"""Celery tasks of online payments (loaded by autodiscovery; nothing imports this)."""

from __future__ import annotations

from celery import shared_task

from payments.services.attempt_queries import attempts_sweep


@shared_task(acks_late=True)
def attempts_sweep_task() -> int:
    """Every few minutes: ask the providers about attempts no notification closed, and
    expire those whose time is over. Each attempt's query is claimed: two sweeps at once
    ask once."""
    return attempts_sweep()
