"""What happens when a message fails for good: the account manager hears of it."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts.services import event_record
from core.errors import DomainError
from core.models import TaskKind
from core.services import in_language_of, task_create

from ..models import Channel, Message, MessageKind
from .outbox import message_enqueue

logger = logging.getLogger("notifications")


def message_alert_failure(*, message: Message) -> None:
    """A message failed for good: task + bell for the account manager, a timeline event."""
    if message.kind == MessageKind.MESSAGE_FAILED:
        return  # never alert about an alert
    manager = None
    # (A relation whose id is None reads as None without a query.)
    if message.contract is not None and message.contract.owner_id:
        manager = message.contract.owner
    elif message.customer is not None and message.customer.account_manager_id:
        manager = message.customer.account_manager
    if message.contract is not None:
        with transaction.atomic():
            event_record(
                contract=message.contract,
                kind="message_failed",
                reason=message.last_error[:500],
                payload={
                    "message_id": message.pk,
                    "channel": message.channel,
                    "kind": message.kind,
                },
            )
    if manager is None:
        logger.error("message %s failed and nobody owns it: %s", message.pk, message.last_error)
        return
    label = message.contract.number if message.contract is not None else str(message.customer or "")
    with in_language_of(manager):
        task_create(
            assignee=manager,
            kind=TaskKind.FOLLOW_UP,
            title=_("Message could not be delivered: %(what)s (%(channel)s) for %(label)s")
            % {"what": message.kind, "channel": message.get_channel_display(), "label": label},
            details=message.last_error,
            due_date=timezone.localdate(),
            customer=message.customer,
            contract=message.contract,
            dedupe_key=f"message-failed:{message.pk}",
        )
    try:
        message_enqueue(
            recipient_user=manager,
            channel=Channel.IN_APP,
            kind=MessageKind.MESSAGE_FAILED,
            language=getattr(manager, "language", settings.LANGUAGE_CODE),
            context={"message": message, "label": label},
            dedupe_key=f"message-failed-alert:{message.pk}",
            contract=message.contract,
        )
    except DomainError:
        logger.exception("could not create the in-app alert for message %s", message.pk)
