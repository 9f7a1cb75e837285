"""Writes to the outbox: enqueue, claim, deliver, retry, fail, mark read.

Delivery is claim-based, like healthchecks' sendalerts: a worker owns a message only after
a compare-and-swap ``UPDATE … WHERE status='pending'`` changed the row; if no row changed,
another worker got there first. PostgreSQL is the source of truth: a row left in
"sending" by a killed worker is put back to "pending" by ``outbox_requeue_stuck``.
"""

from __future__ import annotations

from ..rendering import TemplateCache
from .delivery import (
    DeliverySummary,
    message_deliver,
    message_deliver_now,
    message_render,
    message_retry,
    outbox_deliver_due,
    outbox_requeue_stuck,
)
from .failures import message_alert_failure
from .inbox import message_mark_read, staff_mark_all_read
from .outbox import conf, message_enqueue, recipient_address
from .receipts import sms_receipt_record, sms_receipts_poll, sms_receipts_record

__all__ = [
    "DeliverySummary",
    "TemplateCache",
    "conf",
    "message_alert_failure",
    "message_deliver",
    "message_deliver_now",
    "message_enqueue",
    "message_mark_read",
    "message_render",
    "message_retry",
    "outbox_deliver_due",
    "outbox_requeue_stuck",
    "recipient_address",
    "sms_receipt_record",
    "sms_receipts_poll",
    "sms_receipts_record",
    "staff_mark_all_read",
]
