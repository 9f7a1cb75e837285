"""Claim-based delivery (see the package docstring), retries with backoff, stuck claims,
urgent delivery after commit and sending a failed message again."""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from dataclasses import asdict, dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts.models import Contract, ContractStatus
from core.errors import DomainError
from core.task_queue import task_enqueue

from ..channels import PermanentDeliveryError, TransientDeliveryError, channel_send
from ..channels.sms import context_params
from ..message_states import (
    message_claim,
    message_finish,
    message_requeue_failed,
    messages_claim_due,
    messages_requeue_stuck,
)
from ..models import Channel, Message, MessageAttempt, MessageKind, MessageStatus
from ..reminders import SIGNED_SUCCESSOR, reminder_context_for_message
from ..rendering import TemplateCache, template_render
from .failures import message_alert_failure
from .outbox import conf

logger = logging.getLogger("notifications")


def _backoff_seconds(attempts: int) -> float:
    """Exponential backoff with jitter (attempt 1 → ~base, 2 → ~2·base, …), capped."""
    base = conf("RETRY_BASE_SECONDS") * (2 ** max(0, attempts - 1))
    delay = min(base, conf("RETRY_MAX_SECONDS"))
    # Full-range jitter of ±25 % spreads retries of a burst that failed together.
    return delay * random.uniform(0.75, 1.25)


def _claim_one(message_id: int, now: dt.datetime) -> Message | None:
    if not message_claim(message_id, now):
        return None  # another worker claimed it, or it is not due / not pending
    return Message.objects.get(pk=message_id)


def _claim_batch(now: dt.datetime, limit: int) -> list[Message]:
    ids = messages_claim_due(now, limit)
    if not ids:
        return []
    return list(Message.objects.filter(id__in=ids, status=MessageStatus.SENDING, claimed_at=now))


def message_render(*, message: Message, cache: TemplateCache | None = None) -> None:
    """Render a message stored unrendered by a sweep, and keep the result on the row."""
    if message.rendered:
        return
    if message.kind == MessageKind.RENEWAL_REMINDER and message.contract_id:
        context = reminder_context_for_message(message=message)
    else:
        context = dict(message.context)
    rendered = template_render(
        kind=message.template_kind,
        language=message.language,
        channel=message.channel,
        context=context,
        cache=cache,
    )
    message.subject, message.body_text, message.body_html = (
        rendered.subject,
        rendered.text,
        rendered.html,
    )
    message.rendered = True
    if message.channel == Channel.SMS:
        # The SMS template's parameters are filled from these (channels.sms), on every
        # attempt: the values of the first rendering, like the text.
        message.context = {**context_params(context), **message.context}
    Message.objects.filter(pk=message.pk).update(
        subject=message.subject,
        body_text=message.body_text,
        body_html=message.body_html,
        rendered=True,
        context=message.context,
    )


def _reminder_obsolete(message: Message) -> str:
    """Why a stored renewal reminder must no longer go out ("" if it still should): the
    contract ended, was renewed or cancelled, its term changed, or its renewal is signed
    since the sweep created the row (a retry may come days later)."""
    if message.kind != MessageKind.RENEWAL_REMINDER or not message.contract_id:
        return ""
    contract = Contract.objects.filter(pk=message.contract_id).values("status", "end_date").first()
    if contract is None or contract["status"] != ContractStatus.ACTIVE:
        return "the contract is no longer active"
    if message.term_end and contract["end_date"] != message.term_end:
        return "the contract's term changed"
    if Contract.objects.filter(
        predecessor_id=message.contract_id, status__in=SIGNED_SUCCESSOR
    ).exists():
        return "the renewal is already signed"
    return ""


def _send_claimed(message: Message, cache: TemplateCache | None = None) -> str:
    """Send a message this worker has claimed. Returns sent / retry / failed / cancelled /
    lost (the claim was taken over after we were presumed dead)."""
    now = timezone.now
    obsolete = _reminder_obsolete(message)
    if obsolete:
        ok = message_finish(
            message, MessageStatus.CANCELLED, payload={"reason": obsolete}, last_error=obsolete
        )
        return "cancelled" if ok else "lost"
    try:
        try:
            message_render(message=message, cache=cache)
        except DomainError as exc:  # no template for this kind: it will never render
            raise PermanentDeliveryError(exc.message) from exc
        result = channel_send(message)
    except Exception as raw:  # noqa: BLE001 - every failure is recorded and classified
        if isinstance(raw, TransientDeliveryError | PermanentDeliveryError):
            failure = raw
        else:
            # A bug or an unknown provider error: retried like a transient one, and
            # given up on after MAX_ATTEMPTS like any other.
            logger.exception("unexpected error delivering message %s", message.pk)
            failure = TransientDeliveryError(repr(raw))
        error = str(failure)[:2000]
        exhausted = message.attempts >= conf("MAX_ATTEMPTS")
        permanent = failure.permanent or exhausted
        MessageAttempt.objects.create(
            message=message, number=message.attempts, ok=False, permanent=permanent, error=error
        )
        if permanent:
            if exhausted and not failure.permanent:
                error = _("Gave up after %(n)s attempts: %(error)s") % {
                    "n": message.attempts,
                    "error": error,
                }
            # The failure and its alert commit together: a crash between them would
            # leave a failed message nobody hears about. A broken alert (a savepoint of
            # its own) is logged and does not undo the failure, which would send again.
            with transaction.atomic():
                if not message_finish(
                    message,
                    MessageStatus.FAILED,
                    payload={"error": error, "attempts": message.attempts},
                    last_error=error,
                ):
                    return "lost"
                message.refresh_from_db()
                try:
                    with transaction.atomic():
                        message_alert_failure(message=message)
                except Exception:  # noqa: BLE001 - the failed list still shows it
                    logger.exception("no alert for failed message %s", message.pk)
            return "failed"
        delay = _backoff_seconds(message.attempts)
        ok = message_finish(
            message,
            MessageStatus.PENDING,
            last_error=error,
            next_attempt_at=now() + dt.timedelta(seconds=delay),
        )
        return "retry" if ok else "lost"
    MessageAttempt.objects.create(message=message, number=message.attempts, ok=True)
    message_finish(
        message,
        MessageStatus.SENT,
        payload={"provider": result.provider, "provider_message_id": result.provider_message_id},
        sent_at=now(),
        provider_message_id=result.provider_message_id[:200],
        provider=result.provider,
        last_error="",
    )
    return "sent"


def message_deliver(*, message_id: int) -> str:
    """Claim and deliver one message. Returns sent / retry / failed / skipped."""
    message = _claim_one(message_id, timezone.now())
    if message is None:
        return "skipped"
    return _send_claimed(message)


# The task module (notifications/tasks.py) calls this one; it is queued by name.
DELIVER_MESSAGE_TASK = "notifications.tasks.deliver_message_task"


def message_deliver_now(message_id: int) -> None:
    """Deliver one message as soon as the current transaction commits (magic links...).

    Enqueues the delivery task; if the broker cannot be reached, delivers in-process so
    an urgent email never waits for Redis. Either way the claim makes it exactly once.
    """

    def dispatch() -> None:
        try:
            task_enqueue(DELIVER_MESSAGE_TASK, message_id, retry=False)
        except Exception:  # noqa: BLE001 - any broker failure: deliver here instead
            logger.warning("broker unavailable, delivering message %s synchronously", message_id)
            message_deliver(message_id=message_id)

    transaction.on_commit(dispatch)


def message_retry(*, message: Message, by: Any) -> Message:
    """Staff: send a failed (or undelivered) message again (a new claim cycle, same row,
    same dedupe key)."""
    if not message_requeue_failed(message, by=by):
        raise DomainError(_("Only a failed message can be sent again."))
    message.refresh_from_db()
    message_deliver_now(message.pk)
    return message


def outbox_requeue_stuck(*, now: dt.datetime | None = None) -> int:
    """Put messages whose worker died mid-send back in the queue."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=conf("STUCK_AFTER_SECONDS"))
    return messages_requeue_stuck(claimed_before=cutoff, now=now)


@dataclass
class DeliverySummary:
    requeued: int = 0
    sent: int = 0
    retry: int = 0
    failed: int = 0
    cancelled: int = 0
    lost: int = 0

    def add(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def outbox_deliver_due(*, max_seconds: float = 50.0, limit: int | None = None) -> DeliverySummary:
    """Deliver every due message, batch by batch, until none is due or time is up."""
    summary = DeliverySummary(requeued=outbox_requeue_stuck())
    cache = TemplateCache()
    started = time.monotonic()
    done = 0
    while time.monotonic() - started < max_seconds and (limit is None or done < limit):
        batch = _claim_batch(timezone.now(), conf("BATCH_SIZE"))
        if not batch:
            break
        for message in batch:
            summary.add(_send_claimed(message, cache))
            done += 1
    return summary
