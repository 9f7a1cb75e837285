"""Writes to the outbox: enqueue, claim, deliver, retry, fail, mark read.

Delivery is claim-based, like healthchecks' sendalerts: a worker owns a message only after
a compare-and-swap ``UPDATE … WHERE status='pending'`` changed the row; if no row changed,
another worker got there first. PostgreSQL is the source of truth: a row left in
"sending" by a killed worker is put back to "pending" by ``outbox_requeue_stuck``.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from customers.models import Contact, Customer

from .channels import PermanentDeliveryError, TransientDeliveryError, channel_send
from .models import Channel, Message, MessageAttempt, MessageKind, MessageStatus
from .rendering import TemplateCache, template_render

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


# ---------------------------------------------------------------------------- enqueue


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
    outbox sweep (every minute) or at once with ``message_deliver_now``.
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


def message_deliver_now(message_id: int) -> None:
    """Deliver one message as soon as the current transaction commits (magic links...).

    Enqueues the delivery task; if the broker cannot be reached, delivers in-process so
    an urgent email never waits for Redis. Either way the claim makes it exactly once.
    """

    def dispatch() -> None:
        from .tasks import deliver_message_task

        try:
            deliver_message_task.apply_async(args=[message_id], retry=False)
        except Exception:  # noqa: BLE001 - any broker failure: deliver here instead
            logger.warning("broker unavailable, delivering message %s synchronously", message_id)
            message_deliver(message_id=message_id)

    transaction.on_commit(dispatch)


# ---------------------------------------------------------------------------- delivery


def _backoff_seconds(attempts: int) -> float:
    """Exponential backoff with jitter (attempt 1 → ~base, 2 → ~2·base, …), capped."""
    base = conf("RETRY_BASE_SECONDS") * (2 ** max(0, attempts - 1))
    delay = min(base, conf("RETRY_MAX_SECONDS"))
    # Full-range jitter of ±25 % spreads retries of a burst that failed together.
    return delay * random.uniform(0.75, 1.25)


def _claim_one(message_id: int, now: dt.datetime) -> Message | None:
    updated = Message.objects.filter(
        pk=message_id, status=MessageStatus.PENDING, next_attempt_at__lte=now
    ).update(status=MessageStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if not updated:
        return None  # another worker claimed it, or it is not due / not pending
    return Message.objects.get(pk=message_id)


def _claim_batch(now: dt.datetime, limit: int) -> list[Message]:
    with transaction.atomic():
        # SKIP LOCKED: concurrent sweepers take disjoint batches instead of queueing.
        ids = list(
            Message.objects.select_for_update(skip_locked=True)
            .filter(status=MessageStatus.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")
            .values_list("id", flat=True)[:limit]
        )
        if not ids:
            return []
        Message.objects.filter(id__in=ids, status=MessageStatus.PENDING).update(
            status=MessageStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
    return list(Message.objects.filter(id__in=ids, status=MessageStatus.SENDING, claimed_at=now))


def _finish(message: Message, **fields: Any) -> bool:
    """Write the outcome only if we still hold the claim (it was not re-queued meanwhile)."""
    return bool(
        Message.objects.filter(
            pk=message.pk, status=MessageStatus.SENDING, claimed_at=message.claimed_at
        ).update(**fields)
    )


def message_render(*, message: Message, cache: TemplateCache | None = None) -> None:
    """Render a message stored unrendered by a sweep, and keep the result on the row."""
    if message.rendered:
        return
    if message.kind == MessageKind.RENEWAL_REMINDER and message.contract_id:
        from .reminders import reminder_context_for_message

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
    Message.objects.filter(pk=message.pk).update(
        subject=message.subject,
        body_text=message.body_text,
        body_html=message.body_html,
        rendered=True,
    )


def _reminder_obsolete(message: Message) -> str:
    """Why a stored renewal reminder must no longer go out ("" if it still should): the
    contract ended, was renewed or cancelled, its term changed, or its renewal is signed
    since the sweep created the row (a retry may come days later)."""
    if message.kind != MessageKind.RENEWAL_REMINDER or not message.contract_id:
        return ""
    from contracts.models import Contract, ContractStatus

    from .reminders import SIGNED_SUCCESSOR

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
        ok = _finish(message, status=MessageStatus.CANCELLED, last_error=obsolete, updated_at=now())
        return "cancelled" if ok else "lost"
    try:
        try:
            message_render(message=message, cache=cache)
        except DomainError as exc:  # no template for this kind: it will never render
            raise PermanentDeliveryError(exc.message) from exc
        result = channel_send(message)
    except Exception as raw:  # noqa: BLE001 - every failure is recorded and classified
        exc = raw
        if not isinstance(exc, TransientDeliveryError | PermanentDeliveryError):
            # A bug or an unknown provider error: retried like a transient one, and
            # given up on after MAX_ATTEMPTS like any other.
            logger.exception("unexpected error delivering message %s", message.pk)
            exc = TransientDeliveryError(repr(raw))
        error = str(exc)[:2000]
        exhausted = message.attempts >= conf("MAX_ATTEMPTS")
        permanent = exc.permanent or exhausted
        MessageAttempt.objects.create(
            message=message, number=message.attempts, ok=False, permanent=permanent, error=error
        )
        if permanent:
            if exhausted and not exc.permanent:
                error = _("Gave up after %(n)s attempts: %(error)s") % {
                    "n": message.attempts,
                    "error": error,
                }
            if _finish(message, status=MessageStatus.FAILED, last_error=error, updated_at=now()):
                message.refresh_from_db()
                message_alert_failure(message=message)
                return "failed"
            return "lost"
        delay = _backoff_seconds(message.attempts)
        ok = _finish(
            message,
            status=MessageStatus.PENDING,
            last_error=error,
            next_attempt_at=now() + dt.timedelta(seconds=delay),
            updated_at=now(),
        )
        return "retry" if ok else "lost"
    MessageAttempt.objects.create(message=message, number=message.attempts, ok=True)
    _finish(
        message,
        status=MessageStatus.SENT,
        sent_at=now(),
        provider_message_id=result.provider_message_id[:200],
        last_error="",
        updated_at=now(),
    )
    return "sent"


def message_deliver(*, message_id: int) -> str:
    """Claim and deliver one message. Returns sent / retry / failed / skipped."""
    message = _claim_one(message_id, timezone.now())
    if message is None:
        return "skipped"
    return _send_claimed(message)


def outbox_requeue_stuck(*, now: dt.datetime | None = None) -> int:
    """Put messages whose worker died mid-send back in the queue."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=conf("STUCK_AFTER_SECONDS"))
    return Message.objects.filter(status=MessageStatus.SENDING, claimed_at__lt=cutoff).update(
        status=MessageStatus.PENDING, next_attempt_at=now, claimed_at=None, updated_at=now
    )


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


# ---------------------------------------------------------------------------- failures


def message_alert_failure(*, message: Message) -> None:
    """A message failed for good: task + bell for the account manager, a timeline event."""
    from contracts.services import event_record
    from core.models import TaskKind
    from core.services import task_create

    if message.kind == MessageKind.MESSAGE_FAILED:
        return  # never alert about an alert
    manager = None
    if message.contract_id and message.contract.owner_id:
        manager = message.contract.owner
    elif message.customer_id and message.customer.account_manager_id:
        manager = message.customer.account_manager
    if message.contract_id:
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
    label = message.contract.number if message.contract_id else str(message.customer or "")
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


def message_retry(*, message: Message, by: Any) -> Message:
    """Staff: send a failed message again (a new claim cycle, same row, same dedupe key)."""
    updated = Message.objects.filter(pk=message.pk, status=MessageStatus.FAILED).update(
        status=MessageStatus.PENDING, next_attempt_at=timezone.now(), updated_at=timezone.now()
    )
    if not updated:
        raise DomainError(_("Only a failed message can be sent again."))
    message.refresh_from_db()
    message_deliver_now(message.pk)
    return message


# ---------------------------------------------------------------------------- in-app


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


__all__ = [
    "TemplateCache",
    "message_deliver",
    "message_deliver_now",
    "message_enqueue",
    "message_mark_read",
    "outbox_deliver_due",
    "outbox_requeue_stuck",
]
