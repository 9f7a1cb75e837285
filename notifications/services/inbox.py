"""In-app messages: read receipts for customers and staff."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from customers.models import Customer

from ..models import Channel, Message


def message_mark_read(
    *, message: Message, customer: Customer | None = None, user: Any = None
) -> None:
    """Mark an in-app message read by its own recipient; anyone else is refused."""
    if message.channel != Channel.IN_APP:
        raise DomainError(_("Only in-app messages can be marked as read."))
    if customer is not None and message.customer_id != customer.pk:
        raise DomainError(_("This message is not yours."))
    if user is not None and message.user_id != user.pk:
        raise DomainError(_("This message is not yours."))
    if customer is None and user is None:
        raise ValueError("give the customer or the user who reads the message")
    Message.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=timezone.now())
    message.refresh_from_db(fields=["read_at"])


def staff_mark_all_read(*, user: Any) -> int:
    return Message.objects.filter(user=user, channel=Channel.IN_APP, read_at__isnull=True).update(
        read_at=timezone.now()
    )
