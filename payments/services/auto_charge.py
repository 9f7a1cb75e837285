"""Automatic payment of auto-renewed contracts with the customer's saved method
(docs/payments.md).

On the successor's start date a beat sweep finds the open invoices of contracts that
renewed automatically and whose customer saved a payment method for that contract (or one
it renews), and charges each once:

1. claim: insert the invoice's ``MandateCharge`` (unique per invoice): two sweeps at once,
   one insert wins, the other leaves; a charge is never tried twice for one invoice;
2. an off-session ``PaymentAttempt`` (``attempt_create``) and ``charge_off_session``;
3. the provider's answer is applied like a notification (``event_record``: logged once,
   ``payment_event_apply`` records the payment); a ``pending`` answer waits for the
   provider's notification;
4. a refusal, an error, or a later failed/expired attempt falls back to dunning: the
   pay-now reminder at once (``invoice_dunning_send``, its link opens the portal invoice
   page) and an ``auto_charge_failed`` event on the contract's timeline.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from billing.models import Invoice, InvoiceKind, InvoiceStatus
from billing.services.dunning import invoice_dunning_send
from contracts.models import ContractEvent, ContractStatus
from contracts.services import event_record as contract_event_record
from core.errors import DomainError
from payments.models import AttemptStatus, MandateCharge, PaymentAttempt, PaymentMandate
from payments.providers.base import ProviderError, ProviderEvent, RecurringProvider

from .attempts import attempt_create, attempt_fail
from .mandates import _recurring_get, mandate_for_contract
from .notifications import event_record
from .provider_urls import notify_url

log = logging.getLogger(__name__)

# A successor that started up to this many days ago is still charged (the sweep missed a
# day); older invoices stay with dunning.
CATCH_UP_DAYS = 7
BATCH_SIZE = 200


def auto_charge_due_ids(*, as_of: dt.date) -> list[int]:
    """Open term invoices of automatically renewed contracts that started by ``as_of``
    (within the catch-up window), due by then, never charged, whose customer has an
    active saved method."""
    renewed_automatically = ContractEvent.objects.filter(
        contract_id=OuterRef("contract__predecessor_id"), kind="auto_renewed"
    )
    has_mandate = PaymentMandate.objects.filter(
        customer_id=OuterRef("customer_id"), status="active"
    )
    return list(
        Invoice.objects.filter(
            status=InvoiceStatus.OPEN,
            kind__in=[InvoiceKind.TERM, InvoiceKind.INSTALLMENT],
            due_date__lte=as_of,
            contract__predecessor__isnull=False,
            contract__status__in=[ContractStatus.ACTIVE, ContractStatus.SCHEDULED],
            contract__start_date__lte=as_of,
            contract__start_date__gte=as_of - dt.timedelta(days=CATCH_UP_DAYS),
            mandate_charge__isnull=True,
        )
        .filter(Exists(renewed_automatically), Exists(has_mandate))
        .order_by("id")
        .values_list("pk", flat=True)[:BATCH_SIZE]
    )


def invoice_auto_charge(*, invoice_id: int, as_of: dt.date) -> str:
    """Charge one invoice with its contract's saved method; a short result. Claimed by the
    unique ``MandateCharge``: run twice, or twice at once, it charges once."""
    invoice = Invoice.objects.select_related("contract", "customer").get(pk=invoice_id)
    if invoice.status != InvoiceStatus.OPEN or invoice.contract is None:
        return "not open"
    mandate = mandate_for_contract(invoice.contract)
    if mandate is None:
        return "no saved method"
    try:
        provider = _recurring_get(mandate.provider)
    except DomainError:
        return "provider not configured"  # dunning as usual
    try:
        with transaction.atomic():
            claim = MandateCharge.objects.create(invoice=invoice, mandate=mandate)
    except IntegrityError:
        return "claimed by another sweep"
    try:
        attempt = attempt_create(invoice=invoice, provider_code=mandate.provider, off_session=True)
    except DomainError as exc:
        MandateCharge.objects.filter(pk=claim.pk).update(answer="skipped", detail=exc.message)
        return "not payable"
    MandateCharge.objects.filter(pk=claim.pk).update(attempt=attempt)
    with translation.override(invoice.customer.language or None):
        description = _("Invoice %(number)s (automatic renewal)") % {"number": invoice.number}
    try:
        event = _charge(provider, mandate, attempt, description)
    except ProviderError as exc:
        log.warning("payments: off-session charge %s refused: %s", attempt.reference, exc)
        attempt_fail(attempt, detail=str(exc))
        MandateCharge.objects.filter(pk=claim.pk).update(answer="error", detail=str(exc)[:300])
        _fallback(claim.pk, as_of=as_of, detail=str(exc))
        return "error: handed to dunning"
    MandateCharge.objects.filter(pk=claim.pk).update(
        answer=event.outcome, detail=(event.detail or "")[:300]
    )
    if event.outcome == "pending" or event.kind != "payment":
        return "pending at the provider"
    # The provider's own answer, applied (and logged) exactly as its notification would be.
    result = event_record(mandate.provider, event).result
    if event.outcome != "succeeded":
        _fallback(claim.pk, as_of=as_of, detail=event.detail or event.outcome)
        return f"{event.outcome}: handed to dunning"
    return result


def _charge(
    provider: RecurringProvider,
    mandate: PaymentMandate,
    attempt: PaymentAttempt,
    description: str,
) -> ProviderEvent:
    return provider.charge_off_session(
        mandate=dict(mandate.provider_data),
        reference=attempt.reference,
        amount=attempt.amount,
        currency=attempt.currency,
        description=description,
        notify_url=notify_url(mandate.provider),
    )


def _fallback(claim_id: int, *, as_of: dt.date, detail: str) -> bool:
    """Hand a failed charge to dunning once: a contract event and the pay-now reminder."""
    with transaction.atomic():
        claimed = MandateCharge.objects.filter(pk=claim_id, fallback_at__isnull=True).update(
            fallback_at=timezone.now()
        )
        if not claimed:
            return False
        claim = MandateCharge.objects.select_related("invoice__contract", "mandate").get(
            pk=claim_id
        )
        invoice = claim.invoice
        if invoice.contract is not None:
            contract_event_record(
                contract=invoice.contract,
                kind="auto_charge_failed",
                payload={
                    "invoice": invoice.number,
                    "mandate": claim.mandate.reference,
                    "display": claim.mandate.display,
                    "detail": detail[:200],
                },
            )
    if invoice.status == InvoiceStatus.OPEN:
        invoice_dunning_send(invoice_id=invoice.pk, as_of=as_of, auto_charge_failed=True)
    return True


def auto_charge_failures_hand_over(*, as_of: dt.date) -> int:
    """Charges the provider answered ``pending`` and whose attempt later failed or expired
    (by its notification or the attempt sweep): handed to dunning."""
    ids = list(
        MandateCharge.objects.filter(
            fallback_at__isnull=True,
            attempt__status__in=[AttemptStatus.FAILED, AttemptStatus.EXPIRED],
        ).values_list("pk", flat=True)[:BATCH_SIZE]
    )
    return sum(int(_fallback(pk, as_of=as_of, detail="failed at the provider")) for pk in ids)


def auto_charge_sweep(*, as_of: dt.date) -> dict[str, int]:
    """The daily sweep: charge what is due, hand late failures to dunning. Safe to run
    twice or concurrently."""
    charged = 0
    for invoice_id in auto_charge_due_ids(as_of=as_of):
        try:
            invoice_auto_charge(invoice_id=invoice_id, as_of=as_of)
            charged += 1
        except Exception:  # noqa: BLE001 - one bad row must not stop the sweep
            log.exception("invoice %s could not be charged automatically", invoice_id)
    return {"charged": charged, "handed_to_dunning": auto_charge_failures_hand_over(as_of=as_of)}
