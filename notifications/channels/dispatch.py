"""Sending one outbox row on its channel: the channel names the sender."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import DeliveryResult
from .email import email_send
from .sms import sms_send

if TYPE_CHECKING:
    from notifications.models import Message


def _in_app_send(message: Message) -> DeliveryResult:
    # The row itself is the in-app message: once "sent" it shows in the inbox or bell.
    return DeliveryResult(provider_message_id=f"in-app-{message.pk}")


_SENDERS = {"email": email_send, "sms": sms_send, "in_app": _in_app_send}


def channel_send(message: Message) -> DeliveryResult:
    return _SENDERS[message.channel](message)
