from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from .ends import chunk_claim_and_run, process_contract_ends_fan_out


# The coordinator works on chunks itself and waits for the workers' chunks between the
# steps, so it may take longer than the default 10 minutes on a busy day.
@shared_task(acks_late=True, soft_time_limit=55 * 60, time_limit=60 * 60)
def process_contract_ends_task(as_of: str | None = None) -> dict:
    """Daily sweep (Celery beat). ``as_of`` is an ISO date; default today in the business
    time zone. Fans the contracts out in chunks to ``process_contract_ends_chunk_task``,
    step by step. Idempotent, so a redelivered or doubled run is harmless."""
    day = dt.date.fromisoformat(as_of) if as_of else timezone.localdate()
    return process_contract_ends_fan_out(as_of=day).as_dict()


@shared_task(acks_late=True)
def process_contract_ends_chunk_task(
    run: str, step: str, as_of: str, index: int, ids: list[int]
) -> bool:
    """One chunk of one step of a sweep (sent by the coordinator above). Safe anywhere
    and twice: claimed in the cache, and each contract locked and re-checked."""
    return chunk_claim_and_run(
        run=run, step=step, as_of=dt.date.fromisoformat(as_of), index=index, ids=ids
    )
