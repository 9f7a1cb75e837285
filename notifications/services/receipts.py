"""SMS delivery receipts: a provider says whether the phone got what it took.

Receipts arrive one way, the **poll** (``sms_receipts_poll``, beat every 10 minutes:
``poll_sms_receipts_task``), and are recorded by one function (``sms_receipt_record``).
There is no push endpoint: neither provider signs its pushes, so one would be a public
URL exempt from CSRF, which only the signed payment notifications may be. The poll needs
no public URL and its answers are authenticated (our signed request, the provider's TLS).

For each provider that has SMS still "sent" within the window the provider can still
answer for (``receipts_since``: Aliyun 30 send dates, Tencent 7 days):

- Aliyun: QuerySendDetails per SMS (number, send date, BizId), in batches of
  ``RECEIPT_POLL_BATCH``, newest first, at most ``RECEIPT_POLL_MAX_BATCHES`` a run;
- Tencent: PullSmsSendStatus, the application's queue, pulled again while a pull comes back
  full (at most ``RECEIPT_POLL_MAX_BATCHES`` pulls a run); what is pulled is recorded at
  once, since the provider hands each status out only once.

A provider that fails (network, throttling, key, not configured) is logged and its
messages are left as they are until the next run. An SMS older than the window stays
"sent": without a receipt nobody knows it arrived, and it is never taken as delivered.

A receipt changes a message only from "sent" (``message_states.message_receipt``): a
duplicate, a late one after the message was sent again, or one for an unknown id or
another number changes nothing. An undelivered SMS alerts the account manager as a failed
message does.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from ..channels.base import DeliveryError
from ..channels.sms import BACKENDS
from ..channels.sms_receipts import AwaitingSms, SmsReceipt, phone_matches
from ..message_states import message_receipt
from ..models import Channel, Message, MessageStatus, SmsProvider
from .failures import message_alert_failure

logger = logging.getLogger("notifications.sms")

RECEIPT_DEFAULTS = {"RECEIPT_POLL_BATCH": 200, "RECEIPT_POLL_MAX_BATCHES": 10}


def _conf(name: str) -> int:
    return int(getattr(settings, "NOTIFICATIONS", {}).get(name, RECEIPT_DEFAULTS[name]))


def sms_receipt_record(receipt: SmsReceipt) -> str:
    """Record one receipt. Returns delivered / undelivered / unknown (no message of ours
    under that provider, id and number) / unchanged (not "sent" any more: a duplicate).
    Only a real provider's receipt counts: a console or file SMS stays "sent". A receipt
    the provider does hand out is believed whatever the SMS's age."""
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


def _awaiting(provider: str, since: dt.datetime) -> QuerySet[Message]:
    # The partial index message_awaiting_receipt (provider, sent_at) where status = sent.
    return Message.objects.filter(
        status=MessageStatus.SENT, channel=Channel.SMS, provider=provider, sent_at__gte=since
    )


def _awaiting_batches(provider: str, since: dt.datetime) -> Iterator[list[AwaitingSms]]:
    """Newest first, so a backlog of SMS whose receipt never comes cannot hold up today's;
    paged by (sent_at, id) rather than offset, because the batches already recorded leave
    the "sent" set while we page through it."""
    size, after = _conf("RECEIPT_POLL_BATCH"), None
    for _batch in range(_conf("RECEIPT_POLL_MAX_BATCHES")):
        page = _awaiting(provider, since).order_by("-sent_at", "-pk")
        if after is not None:
            page = page.filter(Q(sent_at__lt=after[0]) | Q(sent_at=after[0], pk__lt=after[1]))
        rows = list(page.values_list("pk", "provider_message_id", "to_address", "sent_at")[:size])
        if rows:
            # (sent_at__gte has already left out rows without a sent_at.)
            yield [AwaitingSms(pid, to, at) for _, pid, to, at in rows if at is not None]
        if len(rows) < size:
            return
        after = (rows[-1][3], rows[-1][0])


def _poll_provider(
    provider: str, backend_class: Any, since: dt.datetime, counts: Counter[str]
) -> None:
    backend = backend_class()
    if getattr(backend_class, "pulls_queue", False):
        for _pull in range(_conf("RECEIPT_POLL_MAX_BATCHES")):
            receipts = backend.receipts([])
            counts.update(sms_receipts_record(receipts))
            if len(receipts) < backend_class.pull_limit:
                break
        return
    for batch in _awaiting_batches(provider, since):
        counts.update(sms_receipts_record(backend.receipts(batch)))


def sms_receipts_poll(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Ask every provider that has SMS awaiting a receipt within its window; record what it
    says. Returns counts (delivered, undelivered, unchanged, unknown, errors). A provider
    that fails or is not configured is logged; the batches it answered before that are
    recorded, the rest are asked again next run."""
    now = now or timezone.now()
    counts: Counter[str] = Counter()
    for provider in SmsProvider.values:
        backend_class = import_string(BACKENDS[provider])
        since = backend_class.receipts_since(now)
        if not _awaiting(provider, since).exists():
            continue
        try:
            _poll_provider(provider, backend_class, since, counts)
        except DeliveryError as exc:
            logger.warning("%s receipts not polled: %s", provider, exc)
            counts["errors"] += 1
        except Exception:  # noqa: BLE001 - one provider's fault must not stop the other's poll
            logger.exception("%s receipts not polled", provider)
            counts["errors"] += 1
    return dict(counts)
