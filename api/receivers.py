"""Signal receivers that turn domain events into webhook deliveries.

Each receiver runs after the commit of the change it reports (the signals are sent
from ``transaction.on_commit``), builds the payload with the API's own serializers
(so a webhook carries the same shape as ``GET`` on the object) and queues deliveries.
A failure here must never break the business action that already committed: it is
logged instead. Events stored as ``ContractEvent`` rows are claimed with a marker in
the same transaction as their deliveries, and ``api.catchup`` queues those whose
receiver never ran (process died after the commit) or failed.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from billing.models import Invoice, Payment, PaymentKind
from billing.services import invoice_paid
from contracts.models import Contract, ContractEvent, ContractStatus
from contracts.services import contract_status_changed

from .catchup import CONTRACT_EVENT, webhook_emission_claim
from .models import WebhookEndpoint
from .webhooks import webhook_event_emit, webhook_subscribed, webhook_subscriptions_changed

logger = logging.getLogger(__name__)

S = ContractStatus

# Status reached → the specific event (contract.status_changed is sent for every change).
CONTRACT_EVENTS = {
    S.AWAITING_SIGNATURE: "contract.sent_for_signature",
    S.AWAITING_PAYMENT: "contract.signed",
    S.ACTIVE: "contract.activated",
    S.RENEWED: "contract.renewed",
    S.EXPIRED: "contract.expired",
    S.TERMINATED: "contract.terminated",
    S.VOID: "contract.voided",
}


def _contract_data(contract_id: int) -> dict[str, Any] | None:
    from .serializers.contracts import ContractSerializer, with_serializer_relations

    contract = with_serializer_relations(Contract.objects.filter(pk=contract_id)).first()
    return dict(ContractSerializer(contract).data) if contract is not None else None


@receiver(post_save, sender=WebhookEndpoint, dispatch_uid="api.webhooks.endpoint_saved")
@receiver(post_delete, sender=WebhookEndpoint, dispatch_uid="api.webhooks.endpoint_deleted")
def on_endpoint_changed(sender: Any, **kwargs: Any) -> None:
    # The cached union of subscribed events (api.webhooks) must be read again.
    webhook_subscriptions_changed()


@receiver(contract_status_changed, dispatch_uid="api.webhooks.contract_status_changed")
def on_contract_status_changed(
    sender: Any,
    *,
    contract_id: int,
    from_status: str,
    to_status: str,
    event_id: int | None = None,
    **kwargs: Any,
) -> None:
    specific = CONTRACT_EVENTS.get(to_status)
    try:
        if not webhook_subscribed("contract.status_changed", *([specific] if specific else [])):
            return
        contract = _contract_data(contract_id)
        if contract is None:
            return
        data = {
            "contract": contract,
            "from_status": from_status,
            "to_status": to_status,
            "contract_event_id": event_id,
        }
        with transaction.atomic():
            # The marker goes in with the deliveries: if the catch-up sweep queued this
            # event already, do nothing; if this process dies first, the sweep will.
            if event_id is not None and not webhook_emission_claim(
                source=CONTRACT_EVENT, source_ids=[event_id]
            ):
                return
            webhook_event_emit(event_type="contract.status_changed", data=data)
            if specific:
                webhook_event_emit(event_type=specific, data=data)
    except Exception:
        logger.exception("could not queue webhooks for contract %s", contract_id)


def _emit_after_commit(
    event_type: str, build: Any, *, contract_event_id: int | None = None
) -> None:
    """Queue the webhook once the surrounding transaction commits (nothing if it rolls
    back). ``build`` returns the payload data, read fresh after the commit. With a
    ``contract_event_id`` the event is claimed first (see api.catchup)."""
    if not webhook_subscribed(event_type):
        return

    def emit() -> None:
        try:
            data = build()
            if data is None:
                return
            with transaction.atomic():
                if contract_event_id is not None and not webhook_emission_claim(
                    source=CONTRACT_EVENT, source_ids=[contract_event_id]
                ):
                    return  # the catch-up sweep queued it already
                webhook_event_emit(event_type=event_type, data=data)
        except Exception:
            logger.exception("could not queue %s webhooks", event_type)

    transaction.on_commit(emit)


def _invoice_data(invoice_id: int) -> dict[str, Any] | None:
    from .serializers.billing import InvoiceSerializer

    invoice = (
        Invoice.objects.select_related("customer", "contract")
        .prefetch_related("lines")
        .filter(pk=invoice_id)
        .first()
    )
    return {"invoice": dict(InvoiceSerializer(invoice).data)} if invoice else None


def _payment_data(payment_id: int) -> dict[str, Any] | None:
    from .serializers.billing import PaymentSerializer

    payment = (
        Payment.objects.select_related("customer", "invoice", "recorded_by")
        .filter(pk=payment_id)
        .first()
    )
    return {"payment": dict(PaymentSerializer(payment).data)} if payment else None


@receiver(invoice_paid, dispatch_uid="api.webhooks.invoice_paid")
def on_invoice_paid(sender: Any, *, invoice: Invoice, payment: Any = None, **kwargs: Any) -> None:
    # Sent inside billing's transaction: deliver only what commits.
    invoice_id = invoice.pk
    payment_id = getattr(payment, "pk", None)

    def build() -> dict[str, Any] | None:
        data = _invoice_data(invoice_id)
        if data is not None:
            data["payment"] = (_payment_data(payment_id) or {}).get("payment")
        return data

    _emit_after_commit("invoice.paid", build)


@receiver(post_save, sender=Payment, dispatch_uid="api.webhooks.payment_recorded")
def on_payment_saved(sender: Any, *, instance: Payment, created: bool, **kwargs: Any) -> None:
    if created and instance.kind == PaymentKind.PAYMENT:
        payment_id = instance.pk
        _emit_after_commit("payment.recorded", lambda: _payment_data(payment_id))


# Events that other apps write on the contract's timeline (in the same transaction as
# the change) and that integrators subscribe to.
TIMELINE_EVENTS = {
    "renewal_signed": "renewal.signed",
    "renewal_won": "renewal.won",
    "renewal_lost": "renewal.lost",
    "cancellation_submitted": "cancellation.requested",
    "cancellation_confirmed": "cancellation.confirmed",
    "cancellation_completed": "cancellation.completed",
    "cancellation_withdrawn": "cancellation.withdrawn",
    "cancellation_offer_accepted": "cancellation.retained",
    "cancellation_rejected": "cancellation.rejected",
}


def _renewal_data(case_id: int | None, contract_id: int) -> dict[str, Any] | None:
    from renewals.models import RenewalCase

    from .serializers.renewals import RenewalCaseSerializer

    qs = RenewalCase.objects.select_related("contract__customer", "owner", "successor", "quote")
    case = qs.filter(pk=case_id).first() if case_id else qs.filter(contract_id=contract_id).first()
    return {"renewal_case": dict(RenewalCaseSerializer(case).data)} if case else None


def _cancellation_data(request_id: int | None) -> dict[str, Any] | None:
    from retention.models import CancellationRequest

    from .serializers.retention import CancellationRequestSerializer

    request = (
        CancellationRequest.objects.select_related("contract", "customer", "offer")
        .filter(pk=request_id)
        .first()
    )
    if request is None:
        return None
    return {"cancellation_request": dict(CancellationRequestSerializer(request).data)}


@receiver(post_save, sender=ContractEvent, dispatch_uid="api.webhooks.contract_timeline")
def on_contract_event(
    sender: Any, *, instance: ContractEvent, created: bool, **kwargs: Any
) -> None:
    event_type = TIMELINE_EVENTS.get(instance.kind) if created else None
    if event_type is None:
        return
    payload = instance.payload or {}
    contract_id = instance.contract_id
    if event_type.startswith("renewal."):
        case_id = payload.get("case")
        _emit_after_commit(
            event_type,
            lambda: _renewal_data(case_id, contract_id),
            contract_event_id=instance.pk,
        )
    else:
        request_id = payload.get("request")
        _emit_after_commit(
            event_type, lambda: _cancellation_data(request_id), contract_event_id=instance.pk
        )
