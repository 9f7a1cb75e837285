"""Celery tasks: thin, take ids or dates, call one service, own only retry policy."""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task

from .care import care_sweep
from .reminders.schedule_state import reminder_schedule_recompute
from .services import message_deliver, outbox_deliver_due, sms_receipts_poll

logger = logging.getLogger("notifications")


@shared_task(name="notifications.tasks.deliver_message_task", ignore_result=True)
def deliver_message_task(message_id: int) -> str:
    return message_deliver(message_id=message_id)


@shared_task(name="notifications.tasks.deliver_outbox_task", ignore_result=True)
def deliver_outbox_task() -> dict:
    summary = outbox_deliver_due()
    logger.info("outbox delivery: %s", summary)
    return summary.as_dict()


@shared_task(name="notifications.tasks.poll_sms_receipts_task", ignore_result=True)
def poll_sms_receipts_task() -> dict:
    """Delivery receipts of SMS still "sent", asked of their providers (services.receipts)."""
    counts = sms_receipts_poll()
    if counts:
        logger.info("SMS receipts: %s", counts)
    return counts


@shared_task(name="notifications.tasks.reminder_schedule_repair_task", ignore_result=True)
def reminder_schedule_repair_task() -> int:
    """Nightly safety net: every open contract's reminder schedule recomputed set-based
    (only rows whose value differs are written); returns how many were corrected."""
    changed = reminder_schedule_recompute()
    logger.info("reminder schedule repair: %s contracts corrected", changed)
    return changed


@shared_task(name="notifications.tasks.send_care_messages_task", ignore_result=True)
def send_care_messages_task(as_of: str | None = None) -> dict:
    day = dt.date.fromisoformat(as_of) if as_of else None
    summary = care_sweep(as_of=day)
    logger.info("care messages: %s", summary)
    deliver_outbox_task.delay()
    return summary
