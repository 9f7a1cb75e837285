from __future__ import annotations

import logging

from celery import shared_task

from .services import idempotency_keys_purge
from .webhooks import webhook_deliveries_due, webhook_delivery_attempt

logger = logging.getLogger(__name__)


@shared_task(name="api.tasks.deliver_webhook_task", ignore_result=True)
def deliver_webhook_task(delivery_id: int) -> None:
    """One attempt for one delivery. Claimed inside, so a duplicate task does nothing."""
    webhook_delivery_attempt(delivery_id=delivery_id)


@shared_task(name="api.tasks.deliver_webhooks_task", ignore_result=True)
def deliver_webhooks_task() -> dict[str, int]:
    """Every minute: fan out one task per due webhook delivery (retries, and rows whose
    immediate task was lost), then forget idempotency keys older than a day.

    A delivery queued twice is attempted once: each attempt starts with a claim.
    """
    ids = webhook_deliveries_due()
    for delivery_id in ids:
        deliver_webhook_task.delay(delivery_id)
    purged = idempotency_keys_purge()
    if ids or purged:
        logger.info(
            "webhook sweep: %s deliveries queued, %s idempotency keys purged", len(ids), purged
        )
    return {"queued": len(ids), "purged": purged}
