"""The nightly customer-tier recompute: a customer's ABC tier is read from their contracts
(contracts.customer_tiers), so the task that runs it sits above both apps."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from contracts.customer_tiers import customer_tiers_recompute

logger = logging.getLogger(__name__)


# The task keeps the name it had in customers.tasks: the beat rows of existing
# installations, the queue routes (config/settings) and the schedule name it.
@shared_task(name="customers.tasks.recompute_tiers_task")
def recompute_tiers_task() -> dict[str, object]:
    """Nightly: recompute every customer's ABC tier as of today (business time zone).

    Running it twice is harmless: the second run changes nothing.
    """
    result = customer_tiers_recompute(as_of=timezone.localdate())
    logger.info(
        "tiers recomputed as of %s: %s changed, counts %s, skipped currencies %s",
        result.as_of,
        result.changed,
        result.counts,
        result.skipped_currencies,
    )
    return {"as_of": result.as_of.isoformat(), "changed": result.changed, "counts": result.counts}
