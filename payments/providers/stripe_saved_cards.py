"""Saved cards for auto-renewal: a setup-mode Checkout page saves the customer's card
to a Stripe Customer, and the renewal charges it off-session (docs/payments.md).

RenewDesk keeps the Customer and PaymentMethod ids and "Visa •••• 4242"; the card number
is typed on Stripe's page only.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING

import stripe

from .base import Checkout, ProviderError, ProviderEvent
from .stripe_amounts import to_minor_units
from .stripe_connection import (
    StripeConnection,
    checked_reference,
    checkout_locale,
    from_timestamp,
    idempotency_key,
    provider_error,
    stripe_errors,
)
from .stripe_facts import (
    FLOW_MANDATE,
    FLOW_OFF_SESSION,
    Obj,
    as_query,
    failure_detail,
    payment_intent_fact,
    query_event_id,
    session_mandate_fact,
)

if TYPE_CHECKING:
    from stripe.params import PaymentIntentCreateParams
    from stripe.params.checkout import SessionCreateParams


class StripeSavedCards(StripeConnection):
    """The ``RecurringProvider`` half of ``StripeProvider``."""

    def is_recurring_configured(self) -> bool:
        """Checkout's setup mode needs nothing beyond the payment settings."""
        return self.is_configured()

    def mandate_start(
        self,
        *,
        reference: str,
        customer_email: str,
        return_url: str,
        notify_url: str,
        language: str = "zh-hans",
    ) -> Checkout:
        """A Stripe Customer for the card (found again by ``metadata.mandate_reference``)
        and a setup-mode Checkout Session that saves a card to it for off-session use."""
        checked_reference(reference)
        with stripe_errors("customer"):
            customer = self._client.v1.customers.create(
                {
                    **({"email": customer_email} if customer_email else {}),
                    "metadata": {"mandate_reference": reference},
                },
                {"idempotency_key": f"renewdesk-mandate-customer-{reference}"},
            )
        params: SessionCreateParams = {
            "mode": "setup",
            "customer": customer.id,
            "client_reference_id": reference,
            "metadata": {"reference": reference, "flow": FLOW_MANDATE},
            "setup_intent_data": {"metadata": {"reference": reference}},
            "allowed_payment_method_types": ["card"],
            "success_url": return_url,
            "cancel_url": return_url,
            "locale": checkout_locale(language),
        }
        with stripe_errors("setup session"):
            session = self._client.v1.checkout.sessions.create(
                params, {"idempotency_key": idempotency_key(f"mandate-{reference}", params)}
            )
        return Checkout(
            provider_reference=session.id,
            redirect_url=session.url or "",
            expires_at=from_timestamp(session.expires_at),
        )

    def mandate_query(
        self, *, reference: str, provider_reference: str = ""
    ) -> ProviderEvent | None:
        """The setup session (by ``provider_reference``, or the latest of the Customer
        made for ``reference``) and, once complete, the card it saved."""
        checked_reference(reference)
        sessions: list[Obj] = []
        with stripe_errors("mandate query"):
            if provider_reference:
                retrieved = self._client.v1.checkout.sessions.retrieve(provider_reference)
                sessions = [retrieved.to_dict()]
            else:
                customers = self._client.v1.customers.search(
                    {"query": f"metadata['mandate_reference']:'{reference}'", "limit": 10}
                )
                for customer in customers.data:
                    listed = self._client.v1.checkout.sessions.list(
                        {"customer": customer.id, "limit": 20}
                    )
                    sessions += [session.to_dict() for session in listed.data]
        sessions = [
            s
            for s in sessions
            if s.get("mode") == "setup" and (s.get("metadata") or {}).get("reference") == reference
        ]
        if not sessions:
            return None
        sessions.sort(key=lambda s: (s.get("status") == "complete", s.get("created") or 0))
        fact = session_mandate_fact(sessions[-1], event_id="", setup_lookup=self._setup_intent)
        return as_query(fact, fact.transaction_id or str(sessions[-1]["id"]))

    def charge_off_session(
        self,
        *,
        mandate: Mapping[str, str],
        reference: str,
        amount: Decimal,
        currency: str,
        description: str,
        notify_url: str,
    ) -> ProviderEvent:
        checked_reference(reference)
        if not (mandate.get("customer") and mandate.get("payment_method")):
            raise ProviderError("Stripe: mandate has no customer or card", code="invalid")
        params: PaymentIntentCreateParams = {
            "amount": to_minor_units(amount, currency),
            "currency": currency.lower(),
            "customer": mandate["customer"],
            "payment_method": mandate["payment_method"],
            "allowed_payment_method_types": ["card"],
            "off_session": True,
            "confirm": True,
            "description": description or reference,
            "metadata": {"reference": reference, "flow": FLOW_OFF_SESSION},
        }
        try:
            # One key per reference: a retried task never charges the card twice.
            intent = self._client.v1.payment_intents.create(
                params, {"idempotency_key": f"renewdesk-charge-{reference}"}
            )
        except stripe.CardError as err:
            return _declined(reference, err)
        except stripe.StripeError as err:
            raise provider_error("off-session charge", err) from None
        fact = payment_intent_fact(intent.to_dict(), event_id="")
        return as_query(fact, fact.transaction_id)

    def mandate_cancel(self, *, mandate: Mapping[str, str]) -> None:
        """Detach the card; a card already detached or gone counts as done."""
        payment_method = mandate.get("payment_method", "")
        if not payment_method:
            return
        try:
            self._client.v1.payment_methods.detach(payment_method)
        except stripe.InvalidRequestError as err:
            # Detaching a card that is no longer attached is refused; make sure it is so.
            if err.code == "resource_missing":
                return
            with stripe_errors("card query"):
                found = self._client.v1.payment_methods.retrieve(payment_method)
            if found.customer:
                raise provider_error("detach card", err) from None
        except stripe.StripeError as err:
            raise provider_error("detach card", err) from None


def _declined(reference: str, err: stripe.CardError) -> ProviderEvent:
    """An off-session charge Stripe refused at once (402): the card was declined or the
    bank wants the customer to authenticate. Stripe's error names the PaymentIntent."""
    body: Obj = err.json_body.get("error", {}) if isinstance(err.json_body, dict) else {}
    intent_id = str((body.get("payment_intent") or {}).get("id") or "")
    detail = failure_detail(body) or str(err.code or "card_error")
    return ProviderEvent(
        event_id=query_event_id(intent_id or reference, "failed"),
        kind="payment",
        reference=reference,
        outcome="failed",
        transaction_id=intent_id,
        detail=detail,
        raw={"error": {k: body.get(k) for k in ("type", "code", "decline_code", "message")}},
    )
