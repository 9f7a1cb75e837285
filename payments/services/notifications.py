"""Provider notifications: verify, log each fact once, apply it (docs/payments.md).

The adapter verifies the notification as its provider documents it before anything is
read; an unverified body is answered with the provider's failure reply and recorded
nowhere. Each verified fact is inserted in the ``ProviderNotification`` log under the
unique ``(provider, event_id)`` in the same transaction as what it changes: a replay or a
concurrent duplicate fails to insert (it waits for the first one's commit) and changes
nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction

from payments.models import PaymentAttempt, ProviderNotification
from payments.providers import provider_get
from payments.providers.base import (
    NotificationRejected,
    NotificationReply,
    PaymentProvider,
    ProviderEvent,
)
from payments.services.attempts import payment_event_apply
from payments.services.mandates import mandate_event_apply
from payments.services.refunds import refund_event_apply

logger = logging.getLogger(__name__)

# Keys never stored in the log, whatever an adapter put in ``raw`` (defence in depth: the
# adapters already leave signatures and keys out).
_SECRET_WORDS = ("sign", "secret", "key", "password", "token", "cert", "card_number", "cvc")


@dataclass(frozen=True)
class EventResult:
    event_id: str
    status: str  # "applied" or "duplicate"
    result: str


@dataclass(frozen=True)
class NotificationOutcome:
    accepted: bool
    reply: NotificationReply
    results: list[EventResult] = field(default_factory=list)
    rejected_because: str = ""


def _safe(value: Any) -> Any:
    """JSON-ready, without NUL characters (PostgreSQL refuses them) or secret-looking keys."""
    if isinstance(value, Mapping):
        return {
            str(k).replace("\x00", ""): _safe(v)
            for k, v in value.items()
            if not any(word in str(k).lower() for word in _SECRET_WORDS)
        }
    if isinstance(value, list | tuple):
        return [_safe(v) for v in value]
    if isinstance(value, str):
        return value.replace("\x00", "")
    return value


def _payload(event: ProviderEvent) -> dict[str, Any]:
    data = {
        "kind": event.kind,
        "reference": event.reference,
        "outcome": event.outcome,
        "transaction_id": event.transaction_id,
        "amount": str(event.amount) if event.amount is not None else None,
        "currency": event.currency,
        "detail": event.detail,
        "mandate": {k: v for k, v in event.mandate.items() if k == "display"},
        "raw": event.raw,
    }
    # Through JSON once: Decimals and dates become text, anything else fails here, not in
    # the database.
    return _safe(json.loads(json.dumps(data, cls=DjangoJSONEncoder, default=str)))


def event_dispatch(provider_code: str, event: ProviderEvent) -> str:
    if event.kind == "payment":
        return payment_event_apply(provider_code, event)
    if event.kind == "refund":
        return refund_event_apply(provider_code, event)
    if event.kind == "mandate":
        return mandate_event_apply(provider_code, event)
    return "ignored: event kind"


def event_record(provider_code: str, event: ProviderEvent) -> EventResult:
    """Log the verified fact once and apply it, in one transaction. A fact seen before
    (same provider and event id) changes nothing: ``status == "duplicate"``."""
    event_id = event.event_id.replace("\x00", "")[:200]
    with transaction.atomic():
        try:
            with transaction.atomic():
                row = ProviderNotification.objects.create(
                    provider=provider_code,
                    event_id=event_id,
                    kind=event.kind[:10],
                    reference=event.reference.replace("\x00", "")[:100],
                    outcome=event.outcome[:10],
                    payload=_payload(event),
                )
        except IntegrityError:
            return EventResult(event_id, "duplicate", "duplicate")
        result = event_dispatch(provider_code, event)[:300]
        row.result = result
        if event.kind == "payment":
            row.attempt = PaymentAttempt.objects.filter(
                reference=event.reference, provider=provider_code
            ).first()
        row.save(update_fields=["result", "attempt"])
    return EventResult(event_id, "applied", result)


def notification_process(
    provider_code: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    provider: PaymentProvider | None = None,
) -> NotificationOutcome:
    """Verify, log and apply a notification; the outcome says what each fact did."""
    adapter = provider or provider_get(provider_code)
    try:
        events = adapter.notification_verify(body=body, headers=headers)
    except NotificationRejected as exc:
        # The reason comes from the adapter and carries no secret; the body is not logged.
        logger.warning("payments: %s notification rejected: %s", provider_code, exc)
        return NotificationOutcome(
            accepted=False,
            reply=adapter.notification_reply(accepted=False),
            rejected_because=str(exc),
        )
    results = [event_record(provider_code, event) for event in events]
    return NotificationOutcome(
        accepted=True, reply=adapter.notification_reply(accepted=True), results=results
    )


def notification_receive(
    provider_code: str, body: bytes, headers: Mapping[str, str]
) -> NotificationReply:
    """The provider's notification endpoint: the reply it expects."""
    return notification_process(provider_code, body, headers).reply
