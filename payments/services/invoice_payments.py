"""A verified payment that names the invoice itself, with no attempt of ours behind it: the
generic payment webhook (``payments/providers/generic_webhook.py``,
docs/payment-webhook.md). ``payment_event_apply`` hands such events here.

The same reconciliation as an attempt's, with the invoice's balance as what was expected:

- the invoice's currency: recorded, whatever the amount; less than the balance leaves the
  invoice open for the rest, more keeps the excess as the customer's credit with billing's
  over-payment task;
- another currency, or an invoice voided meanwhile: nothing recorded, the account manager
  gets a task to check the money the provider took;
- an unknown invoice, no usable amount, or a reference already recorded (by staff): nothing
  recorded, nothing to ask of anyone.

The caller (``event_record``) holds the transaction in which the event's log row was
inserted: a replayed or concurrent delivery never gets here twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.invoice_states import invoice_lock
from billing.models import Invoice, PaymentSource, WebhookEvent
from billing.services import payment_record
from core.errors import DomainError
from core.models import TaskKind
from core.money import money, money_text
from core.services import in_language_of, task_create
from payments.providers.base import ProviderEvent

logger = logging.getLogger(__name__)


def invoice_payment_apply(event: ProviderEvent, *, method: str) -> str:
    """Record the payment ``event`` reports on the invoice numbered ``event.reference``
    (method ``method``); returns a short result for the notification log."""
    # Deliveries accepted before the webhook became an adapter are in billing's old log;
    # the payments migration 0003 copied them, and this catches any an old process wrote
    # while the new code was being deployed.
    if WebhookEvent.objects.filter(event_id=event.event_id).exists():
        return "duplicate: received before the switch to the payments log"
    invoice = Invoice.objects.filter(number=event.reference).first() if event.reference else None
    amount = money(event.amount) if event.amount is not None and event.amount.is_finite() else None
    if invoice is None or amount is None or amount <= 0:
        return "ignored: unknown invoice or bad amount"
    currency = event.currency or invoice.currency
    if currency != invoice.currency:
        _check_task(invoice, event, currency)
        return "ignored: currency does not match the invoice"
    try:
        with transaction.atomic():
            locked = invoice_lock(invoice)
            expected = locked.balance
            payment = payment_record(
                invoice=locked,
                amount=amount,
                method=method,
                reference=(event.transaction_id or event.event_id)[:100],
                source=PaymentSource.WEBHOOK,
                provider_event_id=event.event_id,
            )
    except DomainError as exc:
        if exc.code != "duplicate_payment":
            # Voided meanwhile (or refused otherwise): the money is real; staff decide.
            _check_task(invoice, event, currency)
        return f"ignored: {exc.message}"[:300]
    result = f"recorded {payment.number}"
    if amount < expected:
        return f"{result}; under-payment"
    if amount > expected:
        return f"{result}; over-payment"
    return result


def _check_task(invoice: Invoice, event: ProviderEvent, currency: str) -> None:
    """Money the provider reports that we cannot record as it is: a task to check it."""
    payment_check_task(
        invoice=invoice,
        reference=event.transaction_id or event.event_id,
        amount=money(event.amount) if event.amount is not None else money(0),
        currency=currency,
        dedupe_key=f"payment-review:webhook:{event.event_id}",
    )


def payment_check_task(
    *, invoice: Invoice, reference: str, amount: Decimal, currency: str, dedupe_key: str
) -> None:
    """Money a provider reports that could not be recorded as it is (a mismatch, a voided
    invoice, another currency): a task for the account manager (else the contract's owner)
    to check it, worded in their language, once per ``dedupe_key``."""
    assignee = invoice.customer.account_manager or (
        invoice.contract.owner if invoice.contract is not None else None
    )
    if assignee is None:
        # Still visible: the staff list of attempts filters mismatches and reviews.
        logger.warning(
            "payments: %s on %s needs checking and has no manager", reference, invoice.number
        )
        return
    with in_language_of(assignee):
        task_create(
            assignee=assignee,
            kind=TaskKind.OTHER,
            title=_(
                "Online payment %(reference)s of %(amount)s %(currency)s on %(invoice)s "
                "could not be recorded: check it"
            )
            % {
                "reference": reference,
                "amount": money_text(amount),
                "currency": currency[:3] or "?",
                "invoice": invoice.number,
            },
            due_date=timezone.localdate() + dt.timedelta(days=1),
            customer=invoice.customer,
            contract=invoice.contract,
            dedupe_key=dedupe_key[:200],
        )
