"""SMS through a pluggable provider backend.

``settings.NOTIFICATIONS_SMS_BACKEND`` is a dotted path to a class with
``send(*, to: str, body: str, message_id: int) -> str`` returning the provider's message id
and raising TransientDeliveryError / PermanentDeliveryError. The default console backend
logs the message; the file backend appends one JSON line per SMS to
``settings.NOTIFICATIONS_SMS_FILE``. See docs/notifications.md for adding a real provider.
"""

from __future__ import annotations

import json
import logging
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from .base import DeliveryResult, PermanentDeliveryError

if TYPE_CHECKING:
    from notifications.models import Message

logger = logging.getLogger("notifications.sms")


class SmsBackend(Protocol):
    def send(self, *, to: str, body: str, message_id: int) -> str: ...


class ConsoleSmsBackend:
    def send(self, *, to: str, body: str, message_id: int) -> str:
        provider_id = f"console-{uuid.uuid4().hex[:12]}"
        logger.info("SMS to %s (message %s, %s): %s", to, message_id, provider_id, body)
        return provider_id


class FileSmsBackend:
    def __init__(self, path: str | None = None) -> None:
        default = Path(settings.BASE_DIR) / "sent-sms.jsonl"
        self.path = Path(path or getattr(settings, "NOTIFICATIONS_SMS_FILE", None) or default)

    def send(self, *, to: str, body: str, message_id: int) -> str:
        provider_id = f"file-{uuid.uuid4().hex[:12]}"
        line = {
            "id": provider_id,
            "to": to,
            "body": body,
            "message_id": message_id,
            "at": timezone.now().isoformat(),
        }
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")
        return provider_id


def sms_backend() -> SmsBackend:
    path = getattr(
        settings, "NOTIFICATIONS_SMS_BACKEND", "notifications.channels.sms.ConsoleSmsBackend"
    )
    return import_string(path)()


def sms_send(message: Message) -> DeliveryResult:
    if not message.to_address:
        raise PermanentDeliveryError("no phone number")
    provider_id = sms_backend().send(
        to=message.to_address, body=message.body_text.strip(), message_id=message.pk
    )
    return DeliveryResult(provider_message_id=provider_id)
