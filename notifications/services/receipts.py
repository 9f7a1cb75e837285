"""SMS delivery receipts: a provider says whether the phone got what it took.

Two ways in, one function to record them (``sms_receipts_record``):

- the **poll** (``sms_receipts_poll``, beat every 10 minutes: ``poll_sms_receipts_task``)
  asks each provider that has messages still "sent" within ``RECEIPT_WINDOW_HOURS``
  (Aliyun: QuerySendDetails per message; Tencent: PullSmsSendStatus, its queue). It is the
  primary path: it needs no public URL and its answers are authenticated (our signed
  request, the provider's TLS);
- the **push** (``notifications.receipt_views``) when the provider is configured to call
  our receipt URL. Neither provider signs it, so the URL carries a secret token and a
  receipt is believed only for a message we sent to that provider under that id and number.

A receipt changes a message only from "sent" (``message_states.message_receipt``): a
duplicate, a late one after the message was sent again, or one for an unknown id changes
nothing. An undelivered SMS alerts the account manager as a failed message does.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from ..channels.base import DeliveryError
from ..channels.sms import BACKENDS
from ..channels.sms_receipts import SmsReceipt, phone_matches
from ..message_states import message_receipt
from ..models import Channel, Message, MessageStatus, SmsProvider
from .failures import message_alert_failure

logger = logging.getLogger("notifications.sms")

RECEIPT_DEFAULTS = {"RECEIPT_WINDOW_HOURS": 72, "RECEIPT_POLL_BATCH": 200}


def _conf(name: str) -> int:
    return int(getattr(settings, "NOTIFICATIONS", {}).get(name, RECEIPT_DEFAULTS[name]))


def sms_receipt_record(receipt: SmsReceipt) -> str:
    """Record one receipt. Returns delivered / undelivered / unknown (no message of ours
    under that provider, id and number) / unchanged (not "sent" any more: a duplicate).
    Only a real provider's receipt counts: a console or file SMS stays "sent"."""
    if receipt.provider not in SmsProvider.values:
        return "unknown"
    message = (
        Message.objects.filter(
            channel=Channel.SMS,
            provider=receipt.provider,
            provider_message_id=receipt.provider_message_id,
        )
        .only("pk", "to_address", "status")
        .first()
    )
    if message is None or not phone_matches(message.to_address, receipt.phone):
        logger.warning(
            "%s receipt for unknown SMS %s", receipt.provider, receipt.provider_message_id
        )
        return "unknown"
    payload: dict[str, Any] = {
        "provider": receipt.provider,
        "provider_message_id": receipt.provider_message_id,
        "code": receipt.code,
        "description": receipt.description,
    }
    at = receipt.at or timezone.now()
    error = ""
    if not receipt.delivered:
        error = _("Not delivered (%(provider)s): %(code)s %(description)s") % {
            "provider": receipt.provider,
            "code": receipt.code,
            "description": receipt.description,
        }
    with transaction.atomic():
        changed = message_receipt(
            message.pk,
            delivered=receipt.delivered,
            provider=receipt.provider,
            provider_message_id=receipt.provider_message_id,
            at=at,
            payload=payload,
            error=error.strip(),
        )
        if not changed:
            return "unchanged"
        if not receipt.delivered:
            message = Message.objects.get(pk=message.pk)
            try:
                with transaction.atomic():
                    message_alert_failure(message=message)
            except Exception:  # noqa: BLE001 - the outbox still shows it undelivered
                logger.exception("no alert for undelivered message %s", message.pk)
    return "delivered" if receipt.delivered else "undelivered"


def sms_receipts_record(receipts: Iterable[SmsReceipt]) -> dict[str, int]:
    return dict(Counter(sms_receipt_record(r) for r in receipts))


def _awaiting(provider: str, now: dt.datetime) -> list[tuple[str, str, dt.datetime]]:
    since = now - dt.timedelta(hours=_conf("RECEIPT_WINDOW_HOURS"))
    rows = (
        Message.objects.filter(
            status=MessageStatus.SENT, channel=Channel.SMS, provider=provider, sent_at__gte=since
        )
        .order_by("sent_at")
        .values_list("provider_message_id", "to_address", "sent_at")[: _conf("RECEIPT_POLL_BATCH")]
    )
    return [(pid, to, sent_at) for pid, to, sent_at in rows if sent_at is not None]


def sms_receipts_poll(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Ask every provider that has SMS awaiting a receipt; record what it says. A provider
    that cannot be reached or is not configured is logged and asked again next time."""
    now = now or timezone.now()
    counts: Counter[str] = Counter()
    for provider in SmsProvider.values:
        pending = _awaiting(provider, now)
        if not pending:
            continue
        try:
            backend = import_string(BACKENDS[provider])()
            receipts = backend.receipts(pending)
        except DeliveryError as exc:
            logger.warning("%s receipts not polled: %s", provider, exc)
            counts["errors"] += 1
            continue
        counts.update(sms_receipts_record(receipts))
    return dict(counts)
