"""Payment attempts: start one for an invoice, and apply what the provider says about it
(docs/payments.md).

Money is recorded only here, only from a verified ``ProviderEvent`` (a notification the
adapter verified, or the answer to our own query), through ``billing.services.
payment_record``: never from the customer's browser coming back from the provider.

Locks, always in this order: the invoice (``invoice_lock``), then the attempt
(``attempt_lock``). ``payment_record`` locks the invoice again in the same transaction,
which is free.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from billing.invoice_states import invoice_lock
from billing.models import Invoice, InvoiceStatus, Payment, PaymentKind, PaymentSource
from billing.services import payment_record
from core.errors import DomainError
from core.money import money
from payments.attempt_states import (
    OPEN_STATUSES,
    attempt_change,
    attempt_lock,
    attempt_mismatch_record,
)
from payments.models import AttemptStatus, MismatchKind, PaymentAttempt
from payments.providers import PROVIDER_CLASSES, provider_get
from payments.providers.base import PaymentProvider, ProviderError, ProviderEvent
from payments.providers.generic_webhook import CODE as GENERIC_CODE
from payments.services.invoice_payments import invoice_payment_apply, payment_check_task

logger = logging.getLogger(__name__)

S = AttemptStatus
# How long an order stays payable when the provider does not say.
DEFAULT_TTL = dt.timedelta(hours=2)
# A pending attempt is shown again (not replaced) while it has at least this long to live.
REUSE_MARGIN = dt.timedelta(minutes=2)
# An attempt still "created" this long after it was written lost its request (a crash
# between our row and the provider's order): it is replaced, and the sweep asks about it.
CREATED_GRACE = dt.timedelta(minutes=2)


def attempt_reference_new() -> str:
    """A fresh out_trade_no: ``RD`` + date + 12 random hex digits (20 characters, within
    every provider's 32 of [A-Za-z0-9_-]); random so that it says nothing about volumes."""
    return f"RD{timezone.now():%y%m%d}{secrets.token_hex(6).upper()}"


def provider_configured_get(provider_code: str) -> PaymentProvider:
    """The adapter for ``provider_code`` if it is one we offer and it is configured."""
    if provider_code not in PROVIDER_CLASSES:
        raise DomainError(_("This payment method is not available."), code="provider_unknown")
    provider = provider_get(provider_code)
    if not provider.is_configured():
        raise DomainError(
            _("This payment method is not available."), code="provider_not_configured"
        )
    return provider


def _check_payable(invoice: Invoice) -> None:
    if invoice.status == InvoiceStatus.VOID:
        raise DomainError(_("This invoice is void and cannot be paid."), code="invoice_void")
    if invoice.status != InvoiceStatus.OPEN or invoice.balance <= 0:
        raise DomainError(_("This invoice is already paid."), code="invoice_paid")


def _open_attempt_reusable(invoice: Invoice, provider_code: str) -> PaymentAttempt | None:
    """Under the invoice's lock: the open attempt to show again, if there is one; the
    others (expired by the clock, for an older balance, or lost while starting) are
    cancelled so that one invoice has at most one open order per provider."""
    now = timezone.now()
    balance = invoice.balance
    found = None
    for attempt in (
        PaymentAttempt.objects.select_for_update()
        .filter(invoice=invoice, provider=provider_code, off_session=False)
        .filter(status__in=OPEN_STATUSES)
        .order_by("-created_at", "-id")
    ):
        fresh = (
            attempt.status == S.PENDING
            and (attempt.expires_at is None or attempt.expires_at > now + REUSE_MARGIN)
        ) or (attempt.status == S.CREATED and attempt.created_at > now - CREATED_GRACE)
        if found is None and fresh and attempt.amount == balance:
            found = attempt
            continue
        attempt_change(attempt, S.CANCELLED, payload={"reason": "replaced"})
    return found


def attempt_create(
    *, invoice: Invoice, provider_code: str, by: Any = None, off_session: bool = False
) -> PaymentAttempt:
    """Write a new attempt (``created``) for the invoice's open balance, checking the
    invoice under its lock. ``attempt_start`` uses it for the customer's "Pay now";
    auto-renewal charges (``off_session=True``) use it before ``charge_off_session``."""
    with transaction.atomic():
        locked = invoice_lock(invoice)
        _check_payable(locked)
        return _attempt_new(locked, provider_code, by=by, off_session=off_session)


def _attempt_new(
    locked_invoice: Invoice, provider_code: str, *, by: Any, off_session: bool = False
) -> PaymentAttempt:
    return PaymentAttempt.objects.create(
        invoice=locked_invoice,
        customer_id=locked_invoice.customer_id,
        provider=provider_code,
        reference=attempt_reference_new(),
        amount=locked_invoice.balance,
        currency=locked_invoice.currency,
        off_session=off_session,
        started_by=by if getattr(by, "is_authenticated", False) else None,
    )


def attempt_start(
    *,
    invoice: Invoice,
    provider_code: str,
    by: Any,
    return_url: str,
    notify_url: str,
) -> PaymentAttempt:
    """Start paying ``invoice`` with ``provider_code``: the provider's order for the
    invoice's balance, ready to show (``qr_code``) or to go to (``redirect_url``).

    A still-pending, unexpired attempt for the same invoice, provider and balance is
    returned again instead of a second order. Refuses void or paid invoices and providers
    that are not configured (``DomainError``, a message for the customer).
    """
    provider = provider_configured_get(provider_code)
    with transaction.atomic():
        locked_invoice = invoice_lock(invoice)
        _check_payable(locked_invoice)
        reusable = _open_attempt_reusable(locked_invoice, provider_code)
        if reusable is not None:
            return reusable
        attempt = _attempt_new(locked_invoice, provider_code, by=by)
    customer = locked_invoice.customer
    with translation.override(customer.language or None):
        description = _("Invoice %(number)s") % {"number": locked_invoice.number}
    contact_email = getattr(by, "email", "") or ""
    # Outside any transaction: an HTTP call must not hold the invoice's lock.
    try:
        checkout = provider.checkout_start(
            reference=attempt.reference,
            amount=attempt.amount,
            currency=attempt.currency,
            description=description,
            return_url=return_url,
            notify_url=notify_url,
            customer_email=contact_email,
            language=customer.language or "zh-hans",
        )
    except ProviderError as exc:
        # The message is safe to log by the protocol (no key, no card data).
        logger.warning("payments: %s refused order %s: %s", provider_code, attempt.reference, exc)
        with transaction.atomic():
            locked = attempt_lock(attempt)
            if locked.status == S.CREATED:
                attempt_change(locked, S.FAILED, updates={"detail": str(exc)[:300]})
        raise DomainError(
            _(
                "The payment provider could not take the order just now. Please try again "
                "in a moment or choose another payment method."
            ),
            code="provider_error",
        ) from exc
    with transaction.atomic():
        locked = attempt_lock(attempt)
        if locked.status != S.CREATED:
            return locked  # a notification or the sweep got there first
        return attempt_change(
            locked,
            S.PENDING,
            by=by,
            updates={
                "provider_reference": checkout.provider_reference[:255],
                "qr_code": checkout.qr_code,
                "redirect_url": checkout.redirect_url[:2000],
                "expires_at": checkout.expires_at or timezone.now() + DEFAULT_TTL,
            },
        )


def attempt_fail(attempt: PaymentAttempt, *, detail: str) -> PaymentAttempt:
    """An open attempt that cannot go on (the provider refused an off-session charge):
    failed, with the reason for staff. Does nothing to an attempt already closed."""
    with transaction.atomic():
        locked = attempt_lock(attempt)
        if locked.status in OPEN_STATUSES:
            attempt_change(locked, S.FAILED, updates={"detail": detail[:300]})
        return locked


def attempt_expire(attempt: PaymentAttempt, *, detail: str = "") -> PaymentAttempt:
    """An open attempt whose order ran out of time: expired."""
    with transaction.atomic():
        locked = attempt_lock(attempt)
        if locked.status in OPEN_STATUSES:
            attempt_change(locked, S.EXPIRED, updates={"detail": detail[:300]})
        return locked


# --- verified facts from the provider ------------------------------------------------------


def payment_event_apply(provider_code: str, event: ProviderEvent) -> str:
    """Apply a verified payment event to its attempt; returns a short result for the
    notification log. Idempotent: an attempt records at most one payment, whatever
    arrives twice, concurrently or late.

    Reconciliation (the attempt's amount and currency are what we asked for):
    - same currency and amount: recorded;
    - less: recorded (the invoice stays open for the rest), flagged ``under``;
    - more: recorded (billing keeps the excess as credit and makes a task), flagged
      ``over``;
    - another currency: nothing recorded, flagged ``currency``, the attempt goes to
      ``review`` and the account manager gets a task.

    The generic webhook's events have no attempt: they name the invoice, and
    ``invoice_payment_apply`` reconciles them against its balance.
    """
    if event.kind != "payment":
        return "ignored: not a payment event"
    attempt = PaymentAttempt.objects.filter(
        reference=event.reference, provider=provider_code
    ).first()
    if attempt is None:
        if provider_code == GENERIC_CODE:
            # The generic webhook names the invoice itself: there is no order of ours.
            return invoice_payment_apply(event, method=str(event.raw.get("method", "other")))
        return "ignored: unknown reference"
    if event.outcome == "pending":
        return "pending"
    if event.outcome in ("failed", "closed"):
        return _attempt_close(attempt, event)
    with transaction.atomic():
        invoice = invoice_lock(Invoice(pk=attempt.invoice_id))
        locked = attempt_lock(attempt)
        if locked.payment_id is not None:
            return f"duplicate: {locked.payment.number} already recorded"  # type: ignore[union-attr]
        if locked.status == S.REVIEW:
            return "duplicate: already flagged for review"
        return _payment_apply(locked, invoice, provider_code, event)


def _attempt_close(attempt: PaymentAttempt, event: ProviderEvent) -> str:
    to = S.FAILED if event.outcome == "failed" else S.EXPIRED
    with transaction.atomic():
        locked = attempt_lock(attempt)
        if locked.status not in OPEN_STATUSES:
            return f"ignored: attempt already {locked.status}"
        attempt_change(
            locked,
            to,
            updates={"detail": (event.detail or event.outcome)[:300]},
            payload={"event": event.event_id},
        )
    return f"attempt {to}"


def _payment_apply(
    locked: PaymentAttempt, invoice: Invoice, provider_code: str, event: ProviderEvent
) -> str:
    received = event.amount
    currency = (event.currency or locked.currency).upper()
    late = locked.status not in OPEN_STATUSES
    if received is None or not received.is_finite() or received <= 0:
        return _review(locked, invoice, event, detail="no amount in a successful payment")
    received = money(received)
    if currency != locked.currency:
        return _review(locked, invoice, event, detail="currency", currency=currency)
    reference = (event.transaction_id or event.event_id)[:100]
    try:
        payment = payment_record(
            invoice=invoice,
            amount=received,
            method=provider_code,
            reference=reference,
            source=PaymentSource.WEBHOOK,
            provider_event_id=event.event_id,
            note=f"{locked.reference}",
        )
    except DomainError as exc:
        if exc.code != "duplicate_payment":
            # The invoice was voided meanwhile: the money is real; staff decide.
            return _review(locked, invoice, event, detail=exc.message)
        # The same transaction was recorded already (by staff, or by a query before this
        # notification under another event id): link it, record nothing more.
        payment = Payment.objects.get(
            kind=PaymentKind.PAYMENT, method=provider_code, reference=reference
        )
    kind = MismatchKind.NONE
    if received < locked.amount:
        kind = MismatchKind.UNDER
    elif received > locked.amount or payment.unapplied_amount > 0:
        kind = MismatchKind.OVER
    attempt_change(
        locked,
        S.SUCCEEDED,
        updates={
            "payment": payment,
            "transaction_id": event.transaction_id[:100],
            "amount_received": received,
            "currency_received": currency,
            "mismatch_kind": kind,
        },
        payload={"event": event.event_id, "payment": payment.number, "late": late},
    )
    if kind:
        attempt_mismatch_record(
            locked,
            kind=kind,
            payload={"expected": str(locked.amount), "received": str(received)},
        )
    result = f"recorded {payment.number}"
    return f"{result}; {kind}-payment" if kind else result


def _review(
    locked: PaymentAttempt,
    invoice: Invoice,
    event: ProviderEvent,
    *,
    detail: str,
    currency: str = "",
) -> str:
    """Money the provider took that we cannot record as it is: to staff, with a task."""
    attempt_change(
        locked,
        S.REVIEW,
        updates={
            "transaction_id": event.transaction_id[:100],
            "amount_received": money(event.amount)
            if event.amount is not None and event.amount.is_finite()
            else None,
            "currency_received": currency[:3],
            "mismatch_kind": MismatchKind.CURRENCY if currency else MismatchKind.NONE,
            "detail": detail[:300],
        },
        payload={"event": event.event_id},
    )
    if currency:
        attempt_mismatch_record(
            locked,
            kind=MismatchKind.CURRENCY,
            payload={"expected": locked.currency, "received": currency},
        )
    _review_task(locked, invoice, event)
    return f"flagged for review: {detail}"[:300]


def _review_task(attempt: PaymentAttempt, invoice: Invoice, event: ProviderEvent) -> None:
    amount = event.amount if event.amount is not None and event.amount.is_finite() else Decimal(0)
    payment_check_task(
        invoice=invoice,
        reference=attempt.reference,
        amount=amount,
        currency=event.currency or "",
        dedupe_key=f"payment-review:{attempt.pk}",
    )
