"""Outgoing webhooks: the event catalogue, signing, the outbox rows and their delivery.

Every event becomes one ``WebhookDelivery`` row per subscribed endpoint. Rows are
delivered by ``api.tasks`` (right after the commit that created them, and by the
per-minute sweep for retries and anything a lost task left behind). Delivery is
at-least-once: receivers deduplicate by the ``X-RenewDesk-Event-Id`` header.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import secrets
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.task_queue import task_enqueue

from .models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

# The events an endpoint can subscribe to. Keep names stable: receivers switch on them.
WEBHOOK_EVENTS: dict[str, Any] = {
    "contract.status_changed": _("Any contract status change"),
    "contract.sent_for_signature": _("Contract sent for signature"),
    "contract.signed": _("Contract signed"),
    "contract.activated": _("Contract activated"),
    "contract.renewed": _("Contract renewed"),
    "contract.expired": _("Contract expired"),
    "contract.terminated": _("Contract terminated"),
    "contract.voided": _("Contract voided"),
    "renewal.signed": _("Renewal signed"),
    "renewal.won": _("Renewal won"),
    "renewal.lost": _("Renewal lost"),
    "invoice.paid": _("Invoice paid"),
    "payment.recorded": _("Payment recorded"),
    "cancellation.requested": _("Cancellation requested"),
    "cancellation.confirmed": _("Cancellation confirmed"),
    "cancellation.completed": _("Cancellation completed"),
    "cancellation.withdrawn": _("Cancellation withdrawn"),
    "cancellation.retained": _("Cancellation withdrawn: retention offer accepted"),
    "cancellation.rejected": _("Cancellation rejected"),
}

SIGNATURE_HEADER = "X-RenewDesk-Signature"
TIMESTAMP_HEADER = "X-RenewDesk-Timestamp"
EVENT_HEADER = "X-RenewDesk-Event"
EVENT_ID_HEADER = "X-RenewDesk-Event-Id"
DELIVERY_HEADER = "X-RenewDesk-Delivery"

TIMEOUT_SECONDS = 10
# A claim lasts longer than the HTTP timeout so that only a crashed worker's claim expires.
CLAIM_SECONDS = 60


def max_attempts() -> int:
    return int(getattr(settings, "API_WEBHOOK_MAX_ATTEMPTS", 10))


def retry_delay(attempt: int) -> dt.timedelta:
    """Exponential backoff after the given (1-based) failed attempt: 1, 2, 4 … minutes, ≤ 6 h."""
    base = int(getattr(settings, "API_WEBHOOK_RETRY_BASE_SECONDS", 60))
    return dt.timedelta(seconds=min(base * 2 ** (attempt - 1), 6 * 3600))


def webhook_secret_generate() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def webhook_sign(*, secret: str, timestamp: int | str, body: str) -> str:
    """HMAC-SHA256 over ``f"{timestamp}.{body}"``, hex encoded, as sent in the header."""
    message = f"{timestamp}.{body}".encode()
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def webhook_verify(
    *, secret: str, timestamp: str, body: str, signature: str, tolerance: int = 300
) -> bool:
    """What a receiver does (also used by the tests and shown in docs/api.md)."""
    try:
        age = abs(time.time() - int(timestamp))
    except ValueError:
        return False
    if age > tolerance:
        return False
    expected = webhook_sign(secret=secret, timestamp=timestamp, body=body)
    return hmac.compare_digest(expected, signature)


def webhook_endpoint_save(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    unknown = [e for e in endpoint.events if e != "*" and e not in WEBHOOK_EVENTS]
    if unknown:
        raise ValueError(f"unknown webhook events: {unknown}")
    if not endpoint.secret:
        endpoint.secret = webhook_secret_generate()
    endpoint.save()
    return endpoint


def _body(*, event_id: uuid.UUID, event_type: str, data: Mapping[str, Any], at: dt.datetime) -> str:
    envelope = {
        "id": str(event_id),
        "type": event_type,
        "created_at": at.isoformat(),
        "data": dict(data),
    }
    return json.dumps(envelope, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True)


# --- which events anyone subscribed to ---------------------------------------------------
#
# Every contract status change (and several timeline events) asks webhook_subscribed()
# before building a payload, so the nightly sweep would read all active endpoints a few
# times per contract. The union of the active endpoints' events is therefore kept per
# process, tagged with a token that lives in the shared cache (Redis): saving or deleting
# an endpoint writes a new token (at once and again on commit), so every process reads the
# endpoints again on its next call. Without a shared cache (local memory, dummy) a change
# in one process could not reach the others: then every call reads the database, as
# before. If the cache cannot be reached the database is read too; the entry also expires
# after API_WEBHOOK_SUBSCRIPTIONS_CACHE_SECONDS (default 60) in case a token write was lost
# or endpoints were changed with a bulk update that sends no signal. A stale entry can
# only ever be a superset after a rollback (an extra read in webhook_event_emit); an
# endpoint committed before an event happens always gets it.

SUBSCRIPTIONS_KEY = "renewdesk:api:webhook-subscriptions"
_subscriptions: tuple[str, float, frozenset[str]] | None = None  # (token, read at, events)


def _shared_cache() -> bool:
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    return not backend.endswith(("LocMemCache", "DummyCache"))


def _subscriptions_seconds() -> float:
    return float(getattr(settings, "API_WEBHOOK_SUBSCRIPTIONS_CACHE_SECONDS", 60))


def _subscribed_events_read() -> frozenset[str]:
    rows = WebhookEndpoint.objects.filter(is_active=True).values_list("events", flat=True)
    return frozenset(event for events in rows for event in events or ())


def _subscribed_events() -> frozenset[str]:
    """The events at least one active endpoint subscribed to ("*" for all of them)."""
    global _subscriptions
    if not _shared_cache():
        return _subscribed_events_read()
    try:
        token = cache.get(SUBSCRIPTIONS_KEY)
        if token is None:
            # First call since the cache was emptied: this read is not kept, the next
            # call keeps what it reads under the token added here (or by another process).
            cache.add(SUBSCRIPTIONS_KEY, uuid.uuid4().hex, timeout=None)
            return _subscribed_events_read()
    except Exception:  # noqa: BLE001 - the cache is a shortcut, the table the truth
        logger.warning("cache unavailable: webhook subscriptions read from the database")
        return _subscribed_events_read()
    kept = _subscriptions
    now = time.monotonic()
    if kept is not None and kept[0] == token and now - kept[1] < _subscriptions_seconds():
        return kept[2]
    # Read after the token: an endpoint committed before the token changed is in it.
    events = _subscribed_events_read()
    _subscriptions = (token, now, events)
    return events


def _subscriptions_token_renew() -> None:
    try:
        cache.set(SUBSCRIPTIONS_KEY, uuid.uuid4().hex, timeout=None)
    except Exception:  # noqa: BLE001 - the entries expire on their own
        logger.warning("cache unavailable: webhook subscription change not announced")


def webhook_subscriptions_changed() -> None:
    """An endpoint was saved or deleted: every process reads the endpoints again.

    The token changes at once (this transaction's own reads see the change) and again
    after the commit (a process that read the old rows in between forgets them)."""
    global _subscriptions
    _subscriptions = None
    if not _shared_cache():
        return
    _subscriptions_token_renew()
    transaction.on_commit(_subscriptions_token_renew)


def webhook_subscribed(*event_types: str) -> bool:
    """Whether any active endpoint wants one of these events (skip building payloads if not)."""
    events = _subscribed_events()
    return any(t in events or "*" in events for t in event_types)


def webhook_event_emit(
    *,
    event_type: str,
    data: Mapping[str, Any],
    at: dt.datetime | None = None,
    endpoints: list[WebhookEndpoint] | None = None,
) -> list[WebhookDelivery]:
    """Queue one delivery of this event for every active endpoint subscribed to it (or
    for the given ``endpoints``, which the catch-up sweep picks itself)."""
    if event_type not in WEBHOOK_EVENTS:
        raise ValueError(f"unknown webhook event {event_type}")
    candidates: Iterable[WebhookEndpoint] = (
        endpoints if endpoints is not None else WebhookEndpoint.objects.filter(is_active=True)
    )
    endpoints = [e for e in candidates if e.wants(event_type)]
    if not endpoints:
        return []
    at = at or timezone.now()
    event_id = uuid.uuid4()
    body = _body(event_id=event_id, event_type=event_type, data=data, at=at)
    with transaction.atomic():
        deliveries = WebhookDelivery.objects.bulk_create(
            [
                WebhookDelivery(
                    endpoint=endpoint,
                    event_id=event_id,
                    event_type=event_type,
                    body=body,
                    next_attempt_at=at,
                )
                for endpoint in endpoints
            ]
        )
        ids = [d.pk for d in deliveries]
        transaction.on_commit(lambda: _enqueue(ids))
    return deliveries


# The task module (api/tasks.py) calls this one's functions; it is queued by name.
DELIVER_WEBHOOK_TASK = "api.tasks.deliver_webhook_task"


def _enqueue(ids: list[int]) -> None:
    """Deliver soon; if the broker is unavailable the per-minute sweep picks the rows up."""
    for pk in ids:
        try:
            task_enqueue(DELIVER_WEBHOOK_TASK, pk, retry=False)
        except Exception:  # noqa: BLE001 - the row is the source of truth, the task a hint
            logger.warning("could not enqueue webhook delivery %s; the sweep will send it", pk)


def webhook_deliveries_due(*, now: dt.datetime | None = None, limit: int = 500) -> list[int]:
    """Ids of pending deliveries whose time has come and that nobody holds a claim on."""
    now = now or timezone.now()
    return list(
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:limit]
    )


def _claim(delivery_id: int, now: dt.datetime) -> bool:
    # Compare-and-swap: only one worker moves the claim forward; if no row changed,
    # another worker got there first (or the delivery is done or not due yet).
    return bool(
        WebhookDelivery.objects.filter(
            pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
        )
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + dt.timedelta(seconds=CLAIM_SECONDS))
    )


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirect is an answer, not a delivery: following it would turn the POST into a GET.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _post(url: str, body: bytes, headers: Mapping[str, str]) -> tuple[int | None, str, str]:
    """POST and return (status code, start of the response, error text)."""
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")  # noqa: S310
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status, response.read(500).decode("utf-8", "replace"), ""
    except urllib.error.HTTPError as exc:
        excerpt = exc.read(500).decode("utf-8", "replace") if exc.fp else ""
        return exc.code, excerpt, ""
    except Exception as exc:  # noqa: BLE001 - connection refused, timeout, TLS, DNS…
        return None, "", f"{type(exc).__name__}: {exc}"[:500]


def webhook_delivery_attempt(
    *, delivery_id: int, now: dt.datetime | None = None
) -> WebhookAttempt | None:
    """Claim the delivery, POST it once, log the attempt and schedule the next one.

    Returns None when the delivery was not claimable (done, not due, or held by
    another worker): running this twice for the same row is harmless.
    """
    now = now or timezone.now()
    if not _claim(delivery_id, now):
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    number = delivery.attempts + 1
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "RenewDesk-Webhooks/1",
        EVENT_HEADER: delivery.event_type,
        EVENT_ID_HEADER: str(delivery.event_id),
        DELIVERY_HEADER: str(delivery.pk),
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: webhook_sign(
            secret=endpoint.secret, timestamp=timestamp, body=delivery.body
        ),
    }
    if endpoint.is_active:
        started = time.monotonic()
        status_code, excerpt, error = _post(endpoint.url, delivery.body.encode(), headers)
        duration_ms = int((time.monotonic() - started) * 1000)
    else:
        status_code, excerpt, error, duration_ms = None, "", "endpoint disabled", 0

    ok = status_code is not None and 200 <= status_code < 300
    fields: dict[str, Any] = {
        "attempts": number,
        "claimed_until": None,
        "last_status_code": status_code,
        "last_error": error or ("" if ok else f"HTTP {status_code}"),
    }
    if ok:
        fields.update(status=DeliveryStatus.SUCCEEDED, delivered_at=timezone.now())
    elif number >= max_attempts() or not endpoint.is_active:
        fields.update(status=DeliveryStatus.FAILED)
    else:
        fields.update(next_attempt_at=now + retry_delay(number))
    with transaction.atomic():
        attempt = WebhookAttempt.objects.create(
            delivery=delivery,
            number=number,
            at=now,
            status_code=status_code,
            error=error,
            response_excerpt=excerpt[:500],
            duration_ms=duration_ms,
        )
        WebhookDelivery.objects.filter(pk=delivery.pk).update(**fields)
    if not ok:
        logger.info(
            "webhook delivery %s attempt %s failed: %s", delivery.pk, number, fields["last_error"]
        )
    return attempt


def webhook_delivery_resend(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send the same event again as a new delivery (same event id and body, fresh log)."""
    with transaction.atomic():
        copy = WebhookDelivery.objects.create(
            endpoint=delivery.endpoint,
            event_id=delivery.event_id,
            event_type=delivery.event_type,
            body=delivery.body,
            resent_from=delivery,
        )
        transaction.on_commit(lambda: _enqueue([copy.pk]))
    return copy
