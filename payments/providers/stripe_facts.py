"""What a Stripe event or object says, as ``ProviderEvent`` facts (docs/payments.md).

Pure functions over plain dicts (a verified webhook body, or an API object's ``to_dict()``):
no network, no settings. The adapter (``stripe_checkout``) passes ``setup_lookup`` to read
the saved card behind a completed setup session, the one fact a Checkout event does not carry.

Every object RenewDesk creates at Stripe carries our reference in its metadata
(``metadata.reference``; the Checkout Session also in ``client_reference_id``) and a
``flow`` marking where it came from: ``checkout`` (a PaymentIntent behind a Checkout page)
or ``off_session`` (an auto-renewal charge). PaymentIntent events are facts only for
off-session charges: behind a Checkout page a declined card is not a failed payment (the
customer is still on the page and may try another card); the session's own events tell.
Objects without our reference (other integrations on the same Stripe account) are ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from .base import Outcome, ProviderEvent
from .stripe_amounts import from_minor_units

Obj = Mapping[str, Any]
SetupLookup = Callable[[str], Obj]
"""Given a SetupIntent id, the SetupIntent with its ``payment_method`` expanded."""

FLOW_CHECKOUT = "checkout"
FLOW_OFF_SESSION = "off_session"
FLOW_MANDATE = "mandate"

BRAND_NAMES = {
    "amex": "American Express",
    "cartes_bancaires": "Cartes Bancaires",
    "diners": "Diners Club",
    "discover": "Discover",
    "eftpos_au": "EFTPOS",
    "interac": "Interac",
    "jcb": "JCB",
    "link": "Link",
    "mastercard": "Mastercard",
    "unionpay": "UnionPay",
    "visa": "Visa",
}

REFUND_OUTCOMES: dict[str, Outcome] = {
    "succeeded": "succeeded",
    "failed": "failed",
    "canceled": "failed",
    "pending": "pending",
    "requires_action": "pending",
}


def object_id(value: Any) -> str:
    """An id field that may hold the id or the expanded object."""
    if isinstance(value, Mapping):
        return str(value.get("id") or "")
    return str(value or "")


def reference_of(obj: Obj) -> str:
    metadata = obj.get("metadata") or {}
    return str(metadata.get("reference") or obj.get("client_reference_id") or "")


def card_display(payment_method: Obj) -> str:
    """ "Visa •••• 4242": the brand and last four digits, all Stripe ever tells us."""
    card = payment_method.get("card") or {}
    brand = str(card.get("brand") or "")
    name = BRAND_NAMES.get(brand, brand.replace("_", " ").title() or "Card")
    last4 = str(card.get("last4") or "")
    return f"{name} •••• {last4}" if last4 else name


def failure_detail(error: Obj | None) -> str:
    """``card_declined (insufficient_funds)`` from a ``last_payment_error`` or API error."""
    if not error:
        return ""
    code = str(error.get("code") or error.get("type") or "")
    decline = str(error.get("decline_code") or "")
    return f"{code} ({decline})" if decline and decline != code else code


def _amount(minor: Any, currency: str) -> Decimal | None:
    if minor is None or not currency:
        return None
    return from_minor_units(int(minor), currency)


def ignored(event_id: str, detail: str, raw: Obj | None = None) -> ProviderEvent:
    return ProviderEvent(
        event_id=event_id,
        kind="ignored",
        reference="",
        outcome="pending",
        detail=detail,
        raw=dict(raw or {}),
    )


def session_payment_fact(session: Obj, *, event_id: str, event_type: str = "") -> ProviderEvent:
    """A payment-mode Checkout Session: paid, still open or awaiting an async method,
    failed (``async_payment_failed``) or expired."""
    status = session.get("status")
    payment_status = session.get("payment_status")
    outcome: Outcome
    if event_type == "checkout.session.async_payment_failed":
        outcome = "failed"
    elif status == "expired":
        outcome = "closed"
    elif status == "complete" and payment_status in ("paid", "no_payment_required"):
        outcome = "succeeded"
    else:
        outcome = "pending"
    currency = str(session.get("currency") or "").upper()
    return ProviderEvent(
        event_id=event_id,
        kind="payment",
        reference=reference_of(session),
        outcome=outcome,
        transaction_id=object_id(session.get("payment_intent")),
        amount=_amount(session.get("amount_total"), currency) if outcome == "succeeded" else None,
        currency=currency if outcome == "succeeded" else "",
        detail=event_type or f"session {status}/{payment_status}",
        raw=dict(session),
    )


def session_mandate_fact(
    session: Obj, *, event_id: str, setup_lookup: SetupLookup
) -> ProviderEvent:
    """A setup-mode Checkout Session: the saved card once complete (``customer``,
    ``payment_method``, ``display``), pending while open, closed once expired."""
    status = session.get("status")
    reference = reference_of(session)
    if status != "complete":
        return ProviderEvent(
            event_id=event_id,
            kind="mandate",
            reference=reference,
            outcome="closed" if status == "expired" else "pending",
            detail=f"setup session {status}",
            raw=dict(session),
        )
    setup_intent = session.get("setup_intent")
    if not isinstance(setup_intent, Mapping) or not isinstance(
        setup_intent.get("payment_method"), Mapping
    ):
        setup_intent = setup_lookup(object_id(setup_intent))
    payment_method = setup_intent.get("payment_method") or {}
    customer = object_id(session.get("customer")) or object_id(payment_method.get("customer"))
    succeeded = setup_intent.get("status") == "succeeded" and bool(payment_method) and customer
    return ProviderEvent(
        event_id=event_id,
        kind="mandate",
        reference=reference,
        outcome="succeeded" if succeeded else "failed",
        transaction_id=object_id(setup_intent),
        mandate=(
            {
                "customer": customer,
                "payment_method": object_id(payment_method),
                "display": card_display(payment_method),
            }
            if succeeded
            else {}
        ),
        detail="" if succeeded else f"setup intent {setup_intent.get('status')}",
        raw=dict(session),
    )


def payment_intent_fact(intent: Obj, *, event_id: str) -> ProviderEvent:
    """A PaymentIntent we created. An off-session charge that needs the customer
    (``requires_action``, ``requires_payment_method``) has failed for us: nobody is there
    to act. Behind a Checkout page the same states are still pending."""
    status = intent.get("status")
    off_session = (intent.get("metadata") or {}).get("flow") == FLOW_OFF_SESSION
    outcome: Outcome
    if status == "succeeded":
        outcome = "succeeded"
    elif status == "canceled":
        outcome = "closed"
    elif status in ("requires_payment_method", "requires_action", "requires_confirmation"):
        outcome = "failed" if off_session else "pending"
    else:  # processing, requires_capture
        outcome = "pending"
    currency = str(intent.get("currency") or "").upper()
    detail = failure_detail(intent.get("last_payment_error"))
    if outcome == "failed" and not detail:
        detail = "authentication_required" if status == "requires_action" else str(status)
    return ProviderEvent(
        event_id=event_id,
        kind="payment",
        reference=reference_of(intent),
        outcome=outcome,
        transaction_id=str(intent.get("id") or ""),
        amount=_amount(intent.get("amount_received"), currency) if outcome == "succeeded" else None,
        currency=currency if outcome == "succeeded" else "",
        detail=detail,
        raw=dict(intent),
    )


def refund_fact(refund: Obj, *, event_id: str) -> ProviderEvent:
    outcome = REFUND_OUTCOMES.get(str(refund.get("status")), "pending")
    currency = str(refund.get("currency") or "").upper()
    return ProviderEvent(
        event_id=event_id,
        kind="refund",
        reference=reference_of(refund),
        outcome=outcome,
        transaction_id=str(refund.get("id") or ""),
        amount=_amount(refund.get("amount"), currency),
        currency=currency,
        detail=str(refund.get("failure_reason") or refund.get("status") or ""),
        raw=dict(refund),
    )


def query_event_id(fact_id: str, outcome: str) -> str:
    """The idempotency key of a fact learnt by asking (base.ProviderEvent)."""
    return f"query:{fact_id}:{outcome}"


def event_facts(event: Obj, *, setup_lookup: SetupLookup) -> list[ProviderEvent]:
    """The facts of a verified Stripe event (``object == "event"``)."""
    event_id = str(event["id"])
    event_type = str(event["type"])
    obj: Obj = (event.get("data") or {}).get("object") or {}
    if event_type.startswith("checkout.session."):
        if not reference_of(obj):
            return [ignored(event_id, f"{event_type} without our reference")]
        if obj.get("mode") == "setup" and event_type in (
            "checkout.session.completed",
            "checkout.session.expired",
        ):
            return [session_mandate_fact(obj, event_id=event_id, setup_lookup=setup_lookup)]
        if obj.get("mode") == "payment" and event_type in (
            "checkout.session.completed",
            "checkout.session.async_payment_succeeded",
            "checkout.session.async_payment_failed",
            "checkout.session.expired",
        ):
            return [session_payment_fact(obj, event_id=event_id, event_type=event_type)]
    elif event_type in (
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "payment_intent.canceled",
    ):
        metadata = obj.get("metadata") or {}
        if metadata.get("flow") == FLOW_OFF_SESSION and metadata.get("reference"):
            return [payment_intent_fact(obj, event_id=event_id)]
    elif event_type in (
        "refund.created",
        "refund.updated",
        "refund.failed",
        "charge.refund.updated",
    ):
        if reference_of(obj):
            return [refund_fact(obj, event_id=event_id)]
    elif event_type == "charge.refunded":
        # The charge lists its refunds only when the endpoint's API version includes them.
        refunds: Iterable[Obj] = (obj.get("refunds") or {}).get("data") or []
        facts = [
            refund_fact(refund, event_id=f"{event_id}:{refund.get('id')}")
            for refund in refunds
            if reference_of(refund)
        ]
        if facts:
            return facts
    return [ignored(event_id, event_type)]


def as_query(fact: ProviderEvent, fact_id: str) -> ProviderEvent:
    """``fact`` learnt by asking rather than notified: its event id says so."""
    return replace(fact, event_id=query_event_id(fact_id, fact.outcome))
