"""Webhooks as reactions to committed contract events (declared in
``lifecycle/subscriptions.py``, run by ``lifecycle.reactions``).

Each function takes the ``ContractEvent`` row, builds the payload with the API's own
serializers (a webhook carries the same shape as ``GET`` on the object, read when the
reaction runs) and queues one delivery per active endpoint that wants the event and
already existed when the event happened (an endpoint added later does not receive the
past). They run in the reaction sweeper's claim transaction, which also marks the row
reacted: the deliveries are created exactly once per event and endpoint.
"""

from __future__ import annotations

from typing import Any

from billing.models import Invoice, Payment
from contracts.models import Contract, ContractEvent, ContractStatus
from renewals.models import RenewalCase
from retention.models import CancellationRequest

from .models import WebhookEndpoint
from .serializers.billing import InvoiceSerializer, PaymentSerializer
from .serializers.contracts import ContractSerializer, with_serializer_relations
from .serializers.renewals import RenewalCaseSerializer
from .serializers.retention import CancellationRequestSerializer
from .webhooks import webhook_event_emit, webhook_subscribed

S = ContractStatus

# Status reached → the specific event (contract.status_changed is sent for every change).
CONTRACT_EVENTS: dict[str, str] = {
    S.AWAITING_SIGNATURE: "contract.sent_for_signature",
    S.AWAITING_PAYMENT: "contract.signed",
    S.ACTIVE: "contract.activated",
    S.RENEWED: "contract.renewed",
    S.EXPIRED: "contract.expired",
    S.TERMINATED: "contract.terminated",
    S.VOID: "contract.voided",
}

# Events that other apps write on the contract's timeline and that integrators subscribe
# to (the subscription table lists the same kinds: lifecycle.subscriptions).
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


def _emit(event: ContractEvent, event_types: list[str], data: dict[str, Any] | None) -> None:
    if data is None:
        return  # the object is gone: nothing to report
    endpoints = [
        e for e in WebhookEndpoint.objects.filter(is_active=True) if e.created_at <= event.at
    ]
    for event_type in event_types:
        webhook_event_emit(event_type=event_type, data=data, endpoints=endpoints)


def _contract_data(contract_id: int) -> dict[str, Any] | None:
    contract = with_serializer_relations(Contract.objects.filter(pk=contract_id)).first()
    return dict(ContractSerializer(contract).data) if contract is not None else None


def contract_status_changed(event: ContractEvent) -> None:
    """contract.status_changed and the specific event of the status reached."""
    specific = CONTRACT_EVENTS.get(event.to_status)
    event_types = ["contract.status_changed", *([specific] if specific else [])]
    wanted = [t for t in event_types if webhook_subscribed(t)]
    if not wanted:
        return
    contract = _contract_data(event.contract_id)
    data = contract and {
        "contract": contract,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "contract_event_id": event.pk,
    }
    _emit(event, wanted, data)


def _renewal_data(case_id: int | None, contract_id: int) -> dict[str, Any] | None:
    qs = RenewalCase.objects.select_related("contract__customer", "owner", "successor", "quote")
    if case_id:
        case = qs.filter(pk=case_id).first()
    else:
        case = qs.filter(contract_id=contract_id).first()
    return {"renewal_case": dict(RenewalCaseSerializer(case).data)} if case else None


def _cancellation_data(request_id: int | None) -> dict[str, Any] | None:
    if request_id is None:
        return None
    request = (
        CancellationRequest.objects.select_related("contract", "customer", "offer")
        .filter(pk=request_id)
        .first()
    )
    if request is None:
        return None
    return {"cancellation_request": dict(CancellationRequestSerializer(request).data)}


def contract_timeline_event(event: ContractEvent) -> None:
    """renewal.* and cancellation.* events written on the contract's timeline."""
    event_type = TIMELINE_EVENTS.get(event.kind)
    if event_type is None or not webhook_subscribed(event_type):
        return
    payload = event.payload or {}
    if event_type.startswith("renewal."):
        data = _renewal_data(payload.get("case"), event.contract_id)
    else:
        data = _cancellation_data(payload.get("request"))
    _emit(event, [event_type], data)


def _invoice_data(number: str) -> dict[str, Any] | None:
    invoice = (
        Invoice.objects.select_related("customer", "contract")
        .prefetch_related("lines")
        .filter(number=number)
        .first()
    )
    return {"invoice": dict(InvoiceSerializer(invoice).data)} if invoice else None


def _payment_data(number: str | None) -> dict[str, Any] | None:
    if not number:
        return None
    payment = (
        Payment.objects.select_related("customer", "invoice", "recorded_by")
        .filter(number=number)
        .first()
    )
    return {"payment": dict(PaymentSerializer(payment).data)} if payment else None


def invoice_paid(event: ContractEvent) -> None:
    """invoice.paid, with the payment that settled it (none when a credit note did)."""
    if not webhook_subscribed("invoice.paid"):
        return
    payload = event.payload or {}
    data = _invoice_data(payload.get("invoice", ""))
    if data is not None:
        data["payment"] = (_payment_data(payload.get("payment")) or {}).get("payment")
    _emit(event, ["invoice.paid"], data)


def payment_recorded(event: ContractEvent) -> None:
    if not webhook_subscribed("payment.recorded"):
        return
    _emit(event, ["payment.recorded"], _payment_data((event.payload or {}).get("payment")))
