"""Card payments through Stripe Checkout, and saved cards charged off-session for
auto-renewal (docs/payments.md).

The customer types the card number on Stripe's page only: RenewDesk keeps ids (Checkout
Session, PaymentIntent, Customer, PaymentMethod) and the brand and last four digits shown as
"Visa •••• 4242". Each instance has its own ``StripeClient``: nothing is set on the
``stripe`` module, so tests and several configurations never share state.

Settings (``settings.PAYMENT_PROVIDERS["card"]``, environment prefix ``STRIPE_``):
``SECRET_KEY`` and ``WEBHOOK_SECRET`` (required), ``API_BASE``, ``WEBHOOK_TOLERANCE``,
``MAX_NETWORK_RETRIES``, ``TIMEOUT`` (optional). Stripe sends its notifications to the
webhook endpoint configured in its dashboard, so the ``notify_url`` arguments are unused.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING

import stripe

from .base import Checkout, NotificationRejected, NotificationReply, ProviderError, ProviderEvent
from .stripe_amounts import to_minor_units
from .stripe_connection import (
    checked_reference,
    checkout_locale,
    from_timestamp,
    idempotency_key,
    stripe_errors,
)
from .stripe_facts import (
    FLOW_CHECKOUT,
    as_query,
    event_facts,
    payment_intent_fact,
    refund_fact,
    session_payment_fact,
)
from .stripe_saved_cards import StripeSavedCards

if TYPE_CHECKING:
    from stripe.params.checkout import SessionCreateParams


class StripeProvider(StripeSavedCards):
    code = "card"

    def checkout_start(
        self,
        *,
        reference: str,
        amount: Decimal,
        currency: str,
        description: str,
        return_url: str,
        notify_url: str,
        customer_email: str = "",
        language: str = "zh-hans",
    ) -> Checkout:
        checked_reference(reference)
        params: SessionCreateParams = {
            "mode": "payment",
            "client_reference_id": reference,
            "metadata": {"reference": reference},
            "allowed_payment_method_types": ["card"],
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": currency.lower(),
                        "unit_amount": to_minor_units(amount, currency),
                        "product_data": {"name": description or reference},
                    },
                }
            ],
            "payment_intent_data": {
                "description": description or reference,
                "metadata": {"reference": reference, "flow": FLOW_CHECKOUT},
            },
            "success_url": return_url,
            "cancel_url": return_url,
            "locale": checkout_locale(language),
        }
        if customer_email:
            params["customer_email"] = customer_email
        with stripe_errors("checkout session"):
            session = self._client.v1.checkout.sessions.create(
                params, {"idempotency_key": idempotency_key(f"checkout-{reference}", params)}
            )
        return Checkout(
            provider_reference=session.id,
            redirect_url=session.url or "",
            expires_at=from_timestamp(session.expires_at),
        )

    def notification_verify(
        self, *, body: bytes, headers: Mapping[str, str]
    ) -> list[ProviderEvent]:
        header = next(
            (value for name, value in headers.items() if name.lower() == "stripe-signature"), ""
        )
        if not header:
            raise NotificationRejected("Stripe: no Stripe-Signature header")
        secrets = self._webhook_secrets()
        if not secrets:
            raise NotificationRejected("Stripe: no webhook secret configured")
        try:
            payload = body.decode("utf-8")
        except UnicodeDecodeError:
            raise NotificationRejected("Stripe: body is not UTF-8") from None
        tolerance = self._tolerance()
        if not any(self._signed_with(payload, header, secret, tolerance) for secret in secrets):
            raise NotificationRejected("Stripe: signature or timestamp does not verify")
        try:
            event = json.loads(payload)
        except ValueError:
            raise NotificationRejected("Stripe: body is not JSON") from None
        if not (
            isinstance(event, dict)
            and event.get("object") == "event"
            and isinstance(event.get("id"), str)
            and isinstance(event.get("type"), str)
            and isinstance((event.get("data") or {}).get("object"), dict)
        ):
            raise NotificationRejected("Stripe: body is not an event")
        return event_facts(event, setup_lookup=self._setup_intent)

    @staticmethod
    def _signed_with(payload: str, header: str, secret: str, tolerance: int) -> bool:
        try:
            stripe.WebhookSignature.verify_header(payload, header, secret, tolerance)
        except stripe.SignatureVerificationError:
            return False
        # The SDK rejects old timestamps only; a time far ahead is as suspect.
        timestamps = [item[2:] for item in header.split(",") if item.startswith("t=")]
        return bool(timestamps) and int(timestamps[0]) <= time.time() + tolerance

    def notification_reply(self, *, accepted: bool) -> NotificationReply:
        return NotificationReply(
            status=200 if accepted else 400,
            content_type="application/json",
            body=json.dumps({"received": accepted}).encode(),
        )

    def payment_query(
        self, *, reference: str, provider_reference: str = ""
    ) -> ProviderEvent | None:
        """With ``provider_reference`` (the Checkout Session id kept on the attempt) the
        session itself, which also knows an unpaid or expired session. Without it, the
        PaymentIntents whose metadata carry ``reference`` (Stripe's search, which lags
        writes by up to a minute): None until the customer has submitted a card."""
        if provider_reference:
            with stripe_errors("session query"):
                session = self._client.v1.checkout.sessions.retrieve(provider_reference)
            data = session.to_dict()
            fact = session_payment_fact(data, event_id="")
            return as_query(fact, fact.transaction_id or session.id)
        intents = self._intents_for(reference)
        if not intents:
            return None
        # A succeeded intent wins over earlier failed ones for the same reference.
        intents.sort(key=lambda intent: (intent.get("status") == "succeeded", intent["created"]))
        fact = payment_intent_fact(intents[-1], event_id="")
        return as_query(fact, fact.transaction_id)

    # Refunds -------------------------------------------------------------------------

    def refund_start(
        self,
        *,
        payment_reference: str,
        transaction_id: str,
        refund_reference: str,
        amount: Decimal,
        total: Decimal,
        currency: str,
        reason: str,
        notify_url: str,
    ) -> ProviderEvent:
        checked_reference(refund_reference)
        if amount > total:
            raise ProviderError("Stripe: refund larger than the payment", code="invalid_amount")
        with stripe_errors("refund"):
            refund = self._client.v1.refunds.create(
                {
                    "payment_intent": transaction_id,
                    "amount": to_minor_units(amount, currency),
                    "reason": "requested_by_customer",
                    "metadata": {
                        "reference": refund_reference,
                        "payment_reference": payment_reference,
                        "reason": reason[:500],
                    },
                },
                {"idempotency_key": f"renewdesk-refund-{refund_reference}"},
            )
        fact = refund_fact(refund.to_dict(), event_id="")
        return as_query(fact, fact.transaction_id)

    def refund_query(
        self, *, refund_reference: str, payment_reference: str
    ) -> ProviderEvent | None:
        checked_reference(refund_reference)
        for intent in self._intents_for(payment_reference):
            with stripe_errors("refund query"):
                refunds = self._client.v1.refunds.list(
                    {"payment_intent": intent["id"], "limit": 100}
                )
            for refund in refunds.data:
                data = refund.to_dict()
                if (data.get("metadata") or {}).get("reference") == refund_reference:
                    fact = refund_fact(data, event_id="")
                    return as_query(fact, fact.transaction_id)
        return None

    # Saved cards (RecurringProvider) -------------------------------------------------
