"""Refunds through the provider that took the payment (docs/payments.md).

When a credit note owes money back (a cancellation's pro-rata refund) and the customer paid
online (WeChat Pay, Alipay, card, recorded from the provider), the money goes back the same
way:

1. ``credit_note_refunds_start`` (in the caller's transaction) splits what is due over the
   online payments of the credit note's invoice or contract, newest first, into
   ``ProviderRefund`` rows (pending), and asks staff to pay the rest by hand (bank transfer,
   cash: the manual refund task). The requests go to the providers after the commit.
2. ``refund_submit`` sends one request (``refund_start``), claimed by a compare-and-swap so
   two workers do not both send it; the provider deduplicates on our reference anyway.
3. ``refund_event_apply`` closes it from a verified fact (the refund notification, a query
   by ``refunds_sweep``, or the immediate answer to the request): under the refund's row
   lock, pending → succeeded with billing's ``refund_record`` in the same transaction, so a
   replayed or concurrent notification records one refund; pending → failed asks staff.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import CreditNote, Payment, PaymentKind, PaymentSource
from billing.services import refund_record
from core.errors import DomainError
from core.models import TaskKind
from core.money import money_text
from core.services import in_language_of, task_create
from core.task_queue import task_enqueue
from payments.models import AttemptStatus, PaymentAttempt, ProviderRefund, RefundStatus
from payments.providers import PROVIDER_CLASSES, provider_get
from payments.providers.base import ProviderError, ProviderEvent
from payments.refund_states import refund_close, refund_lock

from .provider_urls import notify_url

log = logging.getLogger(__name__)

S = RefundStatus
ONLINE_METHODS = tuple(PROVIDER_CLASSES)
# A request not accepted after this many tries (transient errors) goes to staff.
MAX_SUBMIT_ATTEMPTS = 5
# The sweep resends a claimed but unanswered request after this long (a crashed worker).
RESUBMIT_AFTER = dt.timedelta(minutes=10)
# ... and asks the provider about a pending refund it has not heard of after this long.
QUERY_AFTER = dt.timedelta(minutes=30)
SWEEP_BATCH = 200


@dataclass
class RefundPlan:
    refunds: list[ProviderRefund] = field(default_factory=list)
    manual_amount: Decimal = Decimal("0")


def refund_reference_new() -> str:
    """Our out_refund_no: unique, at most 32 characters of [A-Za-z0-9]."""
    return "RF" + uuid.uuid4().hex[:30].upper()


def _online_payments(note: CreditNote) -> list[Payment]:
    """The payments received from a provider that this credit note may go back through:
    on its invoice, or on its contract's invoices; newest first."""
    # Only money one of our own attempts took at that provider: a payment reported by the
    # generic webhook (another system's collection) was never at our adapter, and goes back
    # by the manual refund task.
    qs = Payment.objects.filter(
        kind=PaymentKind.PAYMENT,
        source=PaymentSource.WEBHOOK,
        method__in=ONLINE_METHODS,
        attempts__status=AttemptStatus.SUCCEEDED,
    ).distinct()
    if note.invoice_id:
        qs = qs.filter(invoice_id=note.invoice_id)
    elif note.contract_id:
        qs = qs.filter(invoice__contract_id=note.contract_id)
    else:
        return []
    return list(qs.filter(currency=note.currency).order_by("-received_at", "-id"))


def _refundable(payment: Payment) -> Decimal:
    """What is still refundable on ``payment`` at its provider: its amount minus the
    provider refunds not failed."""
    taken = ProviderRefund.objects.filter(payment=payment).exclude(status=S.FAILED).aggregate(
        total=Sum("amount")
    )["total"] or Decimal("0")
    return payment.amount - taken


def _outstanding(note: CreditNote) -> Decimal:
    """Refund due on the locked note not yet asked of a provider."""
    pending = ProviderRefund.objects.filter(credit_note=note, status=S.PENDING).aggregate(
        total=Sum("amount")
    )["total"] or Decimal("0")
    return note.refund_due - pending


def credit_note_refunds_start(*, credit_note: CreditNote, by: Any = None) -> RefundPlan:
    """Send what ``credit_note`` owes back through the providers that took the customer's
    online payments, and ask staff to pay the rest by hand. Runs in the caller's
    transaction (a savepoint here) under the credit note's lock; calling it again plans
    only what is neither refunded nor pending. The provider requests go out after the
    commit (``refund_submit_task``; ``refunds_sweep`` catches any that did not)."""
    plan = RefundPlan()
    with transaction.atomic():
        note = CreditNote.objects.select_for_update().get(pk=credit_note.pk)
        left = _outstanding(note)
        if left <= 0:
            return plan
        for payment in _online_payments(note):
            if left <= 0:
                break
            amount = min(left, _refundable(payment))
            if amount <= 0:
                continue
            refund = ProviderRefund.objects.create(
                reference=refund_reference_new(),
                provider=payment.method,
                payment=payment,
                credit_note=note,
                amount=amount,
                currency=note.currency,
                requested_by=by if getattr(by, "is_authenticated", False) else None,
            )
            plan.refunds.append(refund)
            left -= amount
        if left > 0:
            plan.manual_amount = left
            manual_refund_task(note=note, amount=left)
        ids = [r.pk for r in plan.refunds]
        transaction.on_commit(lambda: _enqueue_submits(ids), robust=True)
    return plan


def _enqueue_submits(ids: list[int]) -> None:
    for pk in ids:
        task_enqueue("payments.refund_tasks.refund_submit_task", pk)


def manual_refund_task(*, note: CreditNote, amount: Decimal, detail: str = "") -> None:
    """The account manager's task to pay ``amount`` back by hand (bank transfer) and record
    it on the credit note page. One task per credit note and cause."""
    manager = note.customer.account_manager
    if manager is None:
        log.warning("refund of %s on %s needs paying by hand: no account manager", amount, note)
        return
    with in_language_of(manager):
        task_create(
            assignee=manager,
            kind=TaskKind.OTHER,
            title=_("Pay back %(amount)s %(currency)s on credit note %(note)s by hand")
            % {"amount": money_text(amount), "currency": note.currency, "note": note.number},
            details=detail,
            due_date=timezone.localdate() + dt.timedelta(days=3),
            customer=note.customer,
            contract=note.contract,
            dedupe_key=f"refund-manual:{note.pk}:{detail[:40] or 'offline'}",
        )


def _payment_reference(payment: Payment) -> str:
    """Our out_trade_no of the attempt that took ``payment`` ("" when it came otherwise)."""
    attempt = (
        PaymentAttempt.objects.filter(payment=payment, status=AttemptStatus.SUCCEEDED)
        .order_by("id")
        .first()
    )
    return attempt.reference if attempt else ""


def refund_submit(*, refund_id: int) -> ProviderRefund:
    """Send one pending refund request to its provider (``refund_start``). Claimed with a
    compare-and-swap on the attempt counter: a second worker finds it claimed and leaves.
    An immediate final answer is applied as a notification would be."""
    refund = ProviderRefund.objects.select_related("payment", "credit_note").get(pk=refund_id)
    if refund.status != S.PENDING or refund.submitted_at is not None:
        return refund
    tries = refund.submit_attempts
    claimed = ProviderRefund.objects.filter(
        pk=refund.pk, status=S.PENDING, submitted_at__isnull=True, submit_attempts=tries
    ).update(submit_attempts=tries + 1, updated_at=timezone.now())
    if not claimed:
        return refund
    try:
        event = provider_get(refund.provider).refund_start(
            payment_reference=_payment_reference(refund.payment),
            transaction_id=refund.payment.reference,
            refund_reference=refund.reference,
            amount=refund.amount,
            total=refund.payment.amount,
            currency=refund.currency,
            reason=refund.credit_note.reason[:80],
            notify_url=notify_url(refund.provider),
        )
    except ProviderError as exc:
        ProviderRefund.objects.filter(pk=refund.pk).update(last_error=str(exc)[:300])
        if not exc.transient or tries + 1 >= MAX_SUBMIT_ATTEMPTS:
            _fail(refund, detail=str(exc))
        refund.refresh_from_db()
        return refund
    ProviderRefund.objects.filter(pk=refund.pk, status=S.PENDING).update(
        submitted_at=timezone.now(),
        provider_refund_id=(event.transaction_id or "")[:100],
        last_error="",
    )
    if event.outcome in ("succeeded", "failed", "closed"):
        refund_event_apply(refund.provider, event)
    refund.refresh_from_db()
    return refund


def _fail(refund: ProviderRefund, *, detail: str) -> bool:
    with transaction.atomic():
        locked = refund_lock(refund)
        if locked.status != S.PENDING:
            return False
        refund_close(
            locked, S.FAILED, updates={"last_error": detail[:300]}, payload={"detail": detail}
        )
        # The detail is the manager's to read: in their language, not the webhook's.
        with in_language_of(locked.credit_note.customer.account_manager):
            manual_refund_task(
                note=locked.credit_note,
                amount=locked.amount,
                detail=_("The %(provider)s refund %(reference)s failed: %(detail)s")
                % {"provider": locked.provider, "reference": locked.reference, "detail": detail},
            )
    return True


def refund_event_apply(provider_code: str, event: ProviderEvent) -> str:
    """Apply a verified refund event; returns a short result for the notification log.

    ``succeeded`` records billing's refund (method of the original payment, reference the
    provider's refund id) once: the row lock and the pending → succeeded check make a
    replayed or concurrent duplicate find it closed. ``failed``/``closed`` closes it failed
    and asks staff to pay by hand. ``pending`` only notes the provider's refund id."""
    refund = (
        ProviderRefund.objects.select_related("payment", "credit_note")
        .filter(provider=provider_code, reference=event.reference)
        .first()
    )
    if refund is None:
        return f"ignored: no refund {event.reference[:40]}"
    if event.outcome == "pending":
        if event.transaction_id and not refund.provider_refund_id:
            ProviderRefund.objects.filter(pk=refund.pk, provider_refund_id="").update(
                provider_refund_id=event.transaction_id[:100]
            )
        return "pending"
    if event.outcome in ("failed", "closed"):
        done = _fail(refund, detail=event.detail or event.outcome)
        return "refund failed" if done else f"duplicate: refund already {refund.status}"
    with transaction.atomic():
        locked = refund_lock(refund)
        if locked.status != S.PENDING:
            return f"duplicate: refund already {locked.status}"
        provider_id = (event.transaction_id or locked.provider_refund_id or locked.reference)[:100]
        amount = event.amount if event.amount is not None else locked.amount
        note = locked.credit_note
        payload: dict[str, Any] = {"provider_refund_id": provider_id}
        recorded: Payment | None = None
        if event.currency and event.currency.upper() != locked.currency.upper():
            payload["mismatch"] = f"{event.currency} {amount}"
        else:
            try:
                recorded = refund_record(
                    credit_note=note,
                    amount=amount,
                    method=locked.payment.method,
                    reference=provider_id,
                    paid_at=timezone.now(),
                )
            except DomainError as exc:
                # The provider paid it, but billing refuses to record it (already refunded
                # by hand, more than due): the money left, so staff must see and settle it.
                payload["not_recorded"] = str(exc)
        if recorded is None:
            with in_language_of(note.customer.account_manager):
                manual_refund_task(
                    note=note,
                    amount=amount,
                    detail=_(
                        "The %(provider)s refund %(reference)s went through but was not "
                        "recorded: check the credit note"
                    )
                    % {"provider": locked.provider, "reference": locked.reference},
                )
        elif amount != locked.amount:
            payload["amount_refunded"] = str(amount)
        refund_close(
            locked,
            S.SUCCEEDED,
            updates={"refund_payment": recorded, "provider_refund_id": provider_id},
            payload=payload,
        )
    return "refund recorded" if recorded is not None else "refund not recorded: staff task"


def refunds_sweep(*, now: dt.datetime | None = None) -> int:
    """Send what was never sent and ask the providers about what stayed pending. Returns
    how many refunds were looked at. Safe to run twice at once (each step is claimed)."""
    now = now or timezone.now()
    seen = 0
    unsent = ProviderRefund.objects.filter(
        status=S.PENDING, submitted_at__isnull=True, updated_at__lte=now - RESUBMIT_AFTER
    ).values_list("pk", flat=True)[:SWEEP_BATCH]
    for pk in list(unsent):
        seen += 1
        try:
            refund_submit(refund_id=pk)
        except Exception:  # noqa: BLE001 - one bad row must not stop the sweep
            log.exception("refund %s could not be sent", pk)
    waiting = ProviderRefund.objects.filter(
        status=S.PENDING, submitted_at__lte=now - QUERY_AFTER
    ).order_by("submitted_at")[:SWEEP_BATCH]
    for refund in list(waiting):
        seen += 1
        try:
            event = provider_get(refund.provider).refund_query(
                refund_reference=refund.reference,
                payment_reference=_payment_reference(refund.payment),
            )
        except ProviderError:
            log.warning("refund %s: the provider could not be asked", refund.reference)
            continue
        except Exception:  # noqa: BLE001
            log.exception("refund %s could not be queried", refund.reference)
            continue
        if event is not None and event.outcome != "pending":
            refund_event_apply(refund.provider, event)
    return seen
