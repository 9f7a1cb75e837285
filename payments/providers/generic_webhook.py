"""The generic payment webhook, ``POST /webhooks/payments/`` (docs/payment-webhook.md), as
one adapter of the notification pipeline (docs/payments.md).

An integrator (a payment service provider we have no SDK for, a bank's reconciliation
feed) reports a payment on one of our invoices, signed with the shared secret
``PAYMENT_WEBHOOK_SECRET``:

    X-RenewDesk-Timestamp: <unix seconds>
    X-RenewDesk-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + raw body)>

The HMAC covers the raw bytes as received (never a re-serialised JSON), and the timestamp,
so an old delivery cannot be replayed later with a fresh header. Deliveries older or newer
than 5 minutes are refused. Nothing of the body is parsed before the signature matched.

Unlike the SDK adapters, the webhook names the invoice itself: a ``payment.succeeded``
event becomes a payment ``ProviderEvent`` whose ``reference`` is the invoice number and
whose ``raw`` carries the method; there is no attempt, and
``payments.services.attempts.payment_event_apply`` records it on the invoice. The event id
goes into the ``ProviderNotification`` log under ``(provider "generic", event_id)``, unique,
in the same transaction as the payment: a replayed or concurrent duplicate records nothing.

It is not offered to customers (not in ``PROVIDER_CLASSES``, so ``/payments/notify/``
does not take it either) and takes no orders, queries or refunds.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings

from .base import (
    Checkout,
    NotificationRejected,
    NotificationReply,
    ProviderError,
    ProviderEvent,
)

CODE = "generic"
TOLERANCE_SECONDS = 5 * 60
MAX_EVENT_ID = 100
MAX_AMOUNT = Decimal("1e12")  # fits the amount columns; anything larger is not a payment
# What the webhook may say in ``data.method``; anything else is recorded as "other".
METHODS = frozenset({"card", "wechat_pay", "alipay", "bank_transfer"})
DEFAULT_METHOD = "card"
PAYMENT_TYPE = "payment.succeeded"


def webhook_secret() -> str:
    return str(settings.RENEWDESK.get("PAYMENT_WEBHOOK_SECRET", ""))


def webhook_sign(*, body: bytes, timestamp: int, secret: str) -> str:
    """The ``X-RenewDesk-Signature`` value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def webhook_verify(
    *, body: bytes, timestamp: str, signature: str, secret: str, now: float | None = None
) -> None:
    """Raise ``NotificationRejected`` unless ``signature`` is the HMAC of ``body`` at
    ``timestamp`` and the timestamp is within 5 minutes of ``now``."""
    if not secret:
        raise NotificationRejected("webhook secret not configured")
    try:
        ts = int(timestamp)
    except (TypeError, ValueError) as exc:
        raise NotificationRejected("missing or bad timestamp") from exc
    now = time.time() if now is None else now
    if abs(now - ts) > TOLERANCE_SECONDS:
        raise NotificationRejected("timestamp outside the tolerance")
    expected = webhook_sign(body=body, timestamp=ts, secret=secret)
    # compare_digest: no timing oracle on the signature.
    if not hmac.compare_digest(expected, signature or ""):
        raise NotificationRejected("bad signature")


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
        raise NotificationRejected("body is not JSON") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("id"), str):
        raise NotificationRejected("event id missing")
    if _has_nul(payload):
        # PostgreSQL stores no NUL (\u0000) in text or jsonb: refused here, not as a 500
        # the sender would retry for days.
        raise NotificationRejected("body contains a NUL character")
    if not payload["id"] or len(payload["id"]) > MAX_EVENT_ID:
        raise NotificationRejected("bad event id")
    return payload


def _amount(value: Any) -> Decimal | None:
    """A positive, finite amount below ``MAX_AMOUNT``; None for anything else (the event is
    then logged and ignored, not refused: retrying would not make it better)."""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    if not amount.is_finite() or not Decimal("0") < amount < MAX_AMOUNT:
        return None
    return amount


def webhook_event(payload: Mapping[str, Any]) -> ProviderEvent:
    """The fact in a verified, parsed delivery."""
    event_type = str(payload.get("type", ""))[:60]
    raw_data = payload.get("data")
    data: dict[str, Any] = raw_data if isinstance(raw_data, dict) else {}
    if event_type != PAYMENT_TYPE:
        return ProviderEvent(
            event_id=payload["id"],
            kind="ignored",
            reference="",
            outcome="pending",
            detail="event type",
            raw={"type": event_type, "data": data},
        )
    method = str(data.get("method", DEFAULT_METHOD))
    return ProviderEvent(
        event_id=payload["id"],
        kind="payment",
        reference=str(data.get("invoice", ""))[:100],
        outcome="succeeded",
        # The integrator's transaction id; the event id when it gives none.
        transaction_id=str(data.get("reference") or payload["id"])[:100],
        amount=_amount(data.get("amount", "")),
        # Empty: "the invoice's currency", as documented.
        currency=str(data.get("currency", ""))[:3].upper(),
        raw={
            "type": event_type,
            "method": method if method in METHODS else "other",
            "invoice": str(data.get("invoice", ""))[:100],
            "data": data,
        },
    )


class GenericWebhookProvider:
    """The HMAC-signed payment webhook: notifications only."""

    code = CODE

    def __init__(self, secret: str | None = None) -> None:
        self.secret = webhook_secret() if secret is None else secret

    def is_configured(self) -> bool:
        return bool(self.secret)

    def notification_verify(
        self, *, body: bytes, headers: Mapping[str, str]
    ) -> list[ProviderEvent]:
        webhook_verify(
            body=body,
            timestamp=headers.get("X-RenewDesk-Timestamp", ""),
            signature=headers.get("X-RenewDesk-Signature", ""),
            secret=self.secret,
        )
        return [webhook_event(_parse(body))]

    def notification_reply(self, *, accepted: bool) -> NotificationReply:
        """The view answers with what each event did (docs/payment-webhook.md); this is the
        bare answer for a refused delivery."""
        if accepted:
            return NotificationReply(status=200, content_type="application/json", body=b"{}")
        body = b'{"status": "rejected"}'
        return NotificationReply(status=400, content_type="application/json", body=body)

    # --- what the webhook cannot do: it only reports payments --------------------------

    def checkout_start(self, **kwargs: Any) -> Checkout:
        raise ProviderError("the payment webhook takes no orders")

    def payment_query(
        self, *, reference: str, provider_reference: str = ""
    ) -> ProviderEvent | None:
        return None

    def refund_start(self, **kwargs: Any) -> ProviderEvent:
        raise ProviderError("the payment webhook takes no refunds")

    def refund_query(
        self, *, refund_reference: str, payment_reference: str
    ) -> ProviderEvent | None:
        return None
