"""The payment provider's webhook: verify, then record the payment exactly once.

Signature scheme (documented for integrators in docs/payment-webhook.md):

    X-RenewDesk-Timestamp: <unix seconds>
    X-RenewDesk-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + raw body)>

The HMAC covers the raw bytes as received (never a re-serialised JSON), and the timestamp,
so an old delivery cannot be replayed later with a fresh header. Deliveries older or newer
than 5 minutes are refused. The event id is stored under a unique constraint in the same
transaction as the payment: a replayed or concurrent duplicate inserts nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from core.errors import DomainError

from .models import Invoice, PaymentMethod, PaymentSource, WebhookEvent
from .services import payment_record

TOLERANCE_SECONDS = 5 * 60
MAX_AMOUNT = Decimal("1e12")  # fits the amount columns; anything larger is not a payment
PROVIDER_METHODS = {"card", "wechat_pay", "alipay", "bank_transfer"}


class WebhookRejected(Exception):
    """The delivery is not authentic or not well-formed: answer 400, record nothing."""


@dataclass(frozen=True)
class WebhookResult:
    status: str  # "recorded", "duplicate", "ignored"
    detail: str = ""


def webhook_secret() -> str:
    return settings.RENEWDESK.get("PAYMENT_WEBHOOK_SECRET", "")


def webhook_sign(*, body: bytes, timestamp: int, secret: str) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def webhook_verify(
    *, body: bytes, timestamp: str, signature: str, secret: str, now: float | None = None
) -> None:
    if not secret:
        raise WebhookRejected("webhook secret not configured")
    try:
        ts = int(timestamp)
    except (TypeError, ValueError) as exc:
        raise WebhookRejected("missing or bad timestamp") from exc
    now = time.time() if now is None else now
    if abs(now - ts) > TOLERANCE_SECONDS:
        raise WebhookRejected("timestamp outside the tolerance")
    expected = webhook_sign(body=body, timestamp=ts, secret=secret)
    # compare_digest: no timing oracle on the signature.
    if not hmac.compare_digest(expected, signature or ""):
        raise WebhookRejected("bad signature")


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _parse(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise WebhookRejected("body is not JSON") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("id"), str):
        raise WebhookRejected("event id missing")
    if _has_nul(payload):
        # PostgreSQL stores no NUL (\u0000) in text or jsonb: refused here, not as a 500
        # the provider would retry for days.
        raise WebhookRejected("body contains a NUL character")
    if not payload["id"] or len(payload["id"]) > 100:
        raise WebhookRejected("bad event id")
    return payload


def webhook_process(*, body: bytes) -> WebhookResult:
    """Handle a verified delivery. ``payment.succeeded`` records a payment on the invoice
    named in ``data.invoice``; other event types are stored and ignored."""
    payload = _parse(body)
    event_type = str(payload.get("type", ""))[:60]
    raw_data = payload.get("data")
    data: dict[str, Any] = raw_data if isinstance(raw_data, dict) else {}
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.create(
                event_id=payload["id"], event_type=event_type, payload=payload
            )
            if event_type != "payment.succeeded":
                event.result = "ignored: event type"
                event.save(update_fields=["result"])
                return WebhookResult("ignored", event.result)
            result = _record_payment(event, data)
            return result
    except IntegrityError:
        # The same event id was stored by an earlier or concurrent delivery.
        return WebhookResult("duplicate")


def _record_payment(event: WebhookEvent, data: dict[str, Any]) -> WebhookResult:
    method = str(data.get("method", "card"))
    if method not in PROVIDER_METHODS:
        method = PaymentMethod.OTHER
    invoice = Invoice.objects.filter(number=str(data.get("invoice", ""))).first()
    try:
        amount = Decimal(str(data.get("amount", "")))
    except InvalidOperation:
        amount = None
    if (
        invoice is None
        or amount is None
        or not amount.is_finite()
        or not Decimal("0") < amount < MAX_AMOUNT
    ):
        event.result = "ignored: unknown invoice or bad amount"
        event.save(update_fields=["result"])
        return WebhookResult("ignored", event.result)
    if str(data.get("currency", invoice.currency)) != invoice.currency:
        event.result = "ignored: currency does not match the invoice"
        event.save(update_fields=["result"])
        return WebhookResult("ignored", event.result)
    try:
        with transaction.atomic():
            payment = payment_record(
                invoice=invoice,
                amount=amount,
                method=method,
                reference=str(data.get("reference") or event.event_id)[:100],
                source=PaymentSource.WEBHOOK,
                provider_event_id=event.event_id,
            )
    except DomainError as exc:
        event.result = f"ignored: {exc.message}"[:300]
        event.save(update_fields=["result"])
        return WebhookResult("ignored", event.result)
    event.payment = payment
    event.result = f"recorded {payment.number}"
    event.save(update_fields=["payment", "result"])
    return WebhookResult("recorded", payment.number)
