"""Creating outbox rows: render and store idempotently (delivery: ``delivery.py``)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from customers.models import Contact, Customer

from ..channels.sms import context_params
from ..models import Channel, Message, MessageStatus
from ..rendering import template_render

logger = logging.getLogger("notifications")


DEFAULTS = {
    "RETRY_BASE_SECONDS": 60,
    "RETRY_MAX_SECONDS": 6 * 3600,
    "MAX_ATTEMPTS": 8,
    # Longer than the Celery hard time limit, so a live worker is never robbed of its claim.
    "STUCK_AFTER_SECONDS": 15 * 60,
    "BATCH_SIZE": 100,
}


def conf(name: str) -> Any:
    return getattr(settings, "NOTIFICATIONS", {}).get(name, DEFAULTS[name])


def recipient_address(*, channel: str, customer: Customer | None = None, user: Any = None) -> str:
    """Where a message on ``channel`` goes: the primary contact (customers) or the user."""
    if channel == Channel.IN_APP:
        return ""
    attr = "email" if channel == Channel.EMAIL else "phone"
    if user is not None:
        return getattr(user, attr, "") or ""
    if customer is not None:
        contact = (
            Contact.objects.filter(customer=customer)
            .exclude(**{attr: ""})
            .order_by("-is_primary", "id")
            .first()
        )
        return getattr(contact, attr, "") if contact else ""
    return ""


def message_enqueue(
    *,
    recipient_customer: Customer | None = None,
    recipient_user: Any = None,
    channel: str,
    kind: str,
    template_kind: str | None = None,
    language: str,
    context: dict[str, Any],
    dedupe_key: str,
    contract: Any = None,
    send_after: dt.datetime | None = None,
    to_address: str | None = None,
) -> Message | None:
    """Render and store one message, idempotently by ``dedupe_key``.

    Returns the new message, the existing one when ``dedupe_key`` was used before, or
    None when the recipient has no address on that channel. In-app messages are
    delivered on creation (the row is the message). Email and SMS are delivered by the
    outbox sweep (every minute) or at once with ``delivery.message_deliver_now``.
    """
    if channel not in Channel.values:
        raise ValueError(f"unknown channel {channel}")
    if (recipient_customer is None) == (recipient_user is None):
        raise ValueError("give exactly one of recipient_customer / recipient_user")
    existing = Message.objects.filter(dedupe_key=dedupe_key).first()
    if existing:
        return existing
    address = (
        to_address
        if to_address is not None
        else recipient_address(channel=channel, customer=recipient_customer, user=recipient_user)
    )
    if channel != Channel.IN_APP and not address:
        logger.info("no %s address for %s, %s not queued", channel, kind, dedupe_key)
        return None
    template_kind = template_kind or kind
    rendered = template_render(
        kind=template_kind, language=language, channel=channel, context=context
    )
    now = timezone.now()
    in_app = channel == Channel.IN_APP
    message = Message(
        customer=recipient_customer,
        user=recipient_user,
        contract=contract,
        to_address=address,
        channel=channel,
        kind=kind,
        template_kind=template_kind,
        language=language,
        subject=rendered.subject,
        body_text=rendered.text,
        body_html=rendered.html,
        dedupe_key=dedupe_key,
        # An SMS provider sends a template with parameters: keep the values to fill it.
        context=context_params(context) if channel == Channel.SMS else {},
        status=MessageStatus.SENT if in_app else MessageStatus.PENDING,
        sent_at=now if in_app else None,
        next_attempt_at=send_after or now,
    )
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        # A concurrent caller stored the same dedupe key between our check and insert.
        return Message.objects.get(dedupe_key=dedupe_key)
    return message
