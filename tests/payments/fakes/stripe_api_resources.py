"""The fake Stripe API's routing, Checkout Sessions, Customers, SetupIntents and
PaymentMethods (tests/payments/fakes/stripe_api.py), shaped as Stripe documents them
(docs.stripe.com/api), with the checks Stripe makes that the adapter could get wrong."""

from __future__ import annotations

import copy
import re
import time
from typing import Any

from .stripe_api_http import StripeApiError
from .stripe_api_payments import StripePayments, int_param, missing_param, new_id, not_found


class StripeResources(StripePayments):
    # Routing --------------------------------------------------------------------------

    def route(self, method: str, path: str, params: dict[str, Any]) -> dict[str, Any]:
        expand = params.pop("expand", [])
        for pattern, handler_method, name in ROUTES:
            match = re.fullmatch(pattern, path)
            if match and method == handler_method:
                answer = getattr(self, name)(params, *match.groups())
                return self._expanded(copy.deepcopy(answer), expand)
        raise StripeApiError(404, f"Unrecognized request URL ({method}: {path}).")

    def _expanded(self, obj: dict[str, Any], paths: list[str]) -> dict[str, Any]:
        stores = {
            "payment_intent": self.payment_intents,
            "setup_intent": self.setup_intents,
            "payment_method": self.payment_methods,
            "customer": self.customers,
            "latest_charge": self.charges,
        }
        for path in paths:
            node = obj
            for field in path.split("."):
                value = node.get(field)
                if isinstance(value, str) and field in stores:
                    node[field] = value = copy.deepcopy(stores[field][value])
                if not isinstance(value, dict):
                    break
                node = value
        return obj

    # Checkout Sessions ----------------------------------------------------------------

    def session_create(self, params: dict[str, Any]) -> dict[str, Any]:
        mode = params.get("mode") or ""
        if mode not in ("payment", "setup"):
            raise missing_param("mode")
        if not params.get("success_url"):
            raise missing_param("success_url")
        amount, currency = None, params.get("currency")
        if mode == "payment":
            items = params.get("line_items") or []
            if not items:
                raise missing_param("line_items")
            amount = 0
            for i, item in enumerate(items):
                price = item.get("price_data") or {}
                if not (price.get("product_data") or {}).get("name"):
                    raise missing_param(f"line_items[{i}][price_data][product_data][name]")
                amount += int_param(price, "unit_amount") * int(item.get("quantity", 1))
                currency = price.get("currency") or ""
        customer = params.get("customer")
        if customer and customer not in self.customers:
            raise not_found("customer", customer)
        now = int(time.time())
        session = {
            "id": new_id("cs"),
            "object": "checkout.session",
            "allowed_payment_method_types": params.get("allowed_payment_method_types"),
            "amount_subtotal": amount,
            "amount_total": amount,
            "cancel_url": params.get("cancel_url"),
            "client_reference_id": params.get("client_reference_id"),
            "created": now,
            "currency": currency,
            "customer": customer,
            "customer_details": None,
            "customer_email": params.get("customer_email"),
            "expires_at": int(params.get("expires_at") or now + 24 * 3600),
            "livemode": False,
            "locale": params.get("locale"),
            "metadata": params.get("metadata") or {},
            "mode": mode,
            "payment_intent": None,
            "payment_status": "unpaid" if mode == "payment" else "no_payment_required",
            "setup_intent": None,
            "status": "open",
            "success_url": params["success_url"],
            "url": "",
        }
        session["url"] = f"{self.base_url}/c/pay/{session['id']}"
        self.sessions[session["id"]] = session
        self._session_extras[session["id"]] = {
            "payment_intent_data": params.get("payment_intent_data") or {},
            "setup_intent_data": params.get("setup_intent_data") or {},
        }
        return session

    def session_get(self, params: dict[str, Any], session_id: str) -> dict[str, Any]:
        if session_id not in self.sessions:
            raise not_found("checkout.session", session_id)
        return self.sessions[session_id]

    def session_list(self, params: dict[str, Any]) -> dict[str, Any]:
        found = [
            s
            for s in self.sessions.values()
            if all(
                s.get(k) == params[k]
                for k in ("customer", "payment_intent", "status")
                if k in params
            )
        ]
        return self._list(found, "/v1/checkout/sessions", params.get("limit"))

    def session_expire(self, params: dict[str, Any], session_id: str) -> dict[str, Any]:
        return self.expire_session(session_id)

    def complete_session(
        self, session_id: str, *, brand: str = "visa", last4: str = "4242"
    ) -> list[dict[str, Any]]:
        """The customer pays (or saves the card) on the hosted page: the session completes
        and its events are emitted (and delivered to ``webhook_url``)."""
        with self.lock:
            session = self.sessions[session_id]
            if session["status"] != "open":
                raise ValueError(f"session {session_id} is {session['status']}")
            extras = self._session_extras[session_id]
            session["customer_details"] = {"email": session["customer_email"]}
            session["status"] = "complete"
            events = []
            if session["mode"] == "payment":
                card = self._payment_method(brand, last4, customer=None)
                data = extras["payment_intent_data"]
                intent = self._intent(
                    amount=session["amount_total"],
                    currency=session["currency"],
                    customer=session["customer"],
                    payment_method=card["id"],
                    metadata=data.get("metadata") or {},
                    description=data.get("description"),
                )
                self._succeed(intent)
                session["payment_intent"] = intent["id"]
                session["payment_status"] = "paid"
                events.append(self.emit("payment_intent.succeeded", intent))
            else:
                card = self._payment_method(brand, last4, customer=session["customer"])
                setup = {
                    "id": new_id("seti"),
                    "object": "setup_intent",
                    "created": int(time.time()),
                    "customer": session["customer"],
                    "metadata": extras["setup_intent_data"].get("metadata") or {},
                    "payment_method": card["id"],
                    "status": "succeeded",
                    "usage": "off_session",
                }
                self.setup_intents[setup["id"]] = setup
                session["setup_intent"] = setup["id"]
            events.append(self.emit("checkout.session.completed", session))
            return events

    def expire_session(self, session_id: str) -> dict[str, Any]:
        with self.lock:
            session = self.sessions[session_id]
            if session["status"] != "open":
                raise StripeApiError(400, "Only open sessions can be expired.")
            session["status"] = "expired"
            self.emit("checkout.session.expired", session)
            return session

    # Customers, cards, setup intents --------------------------------------------------

    def customer_create(self, params: dict[str, Any]) -> dict[str, Any]:
        customer: dict[str, Any] = {
            "id": new_id("cus"),
            "object": "customer",
            "created": int(time.time()),
            "email": params.get("email"),
            "metadata": params.get("metadata") or {},
        }
        self.customers[customer["id"]] = customer
        return customer

    def customer_search(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._search(self.customers, params, "/v1/customers/search")

    def attach_card(
        self, customer_id: str | None = None, *, brand: str = "visa", last4: str = "4242"
    ) -> dict[str, str]:
        """A saved card without the Checkout page: the mandate ``charge_off_session`` takes."""
        with self.lock:
            customer_id = customer_id or self.customer_create({})["id"]
            card = self._payment_method(brand, last4, customer=customer_id)
            return {"customer": customer_id, "payment_method": card["id"]}

    def _payment_method(self, brand: str, last4: str, *, customer: str | None) -> dict[str, Any]:
        card: dict[str, Any] = {
            "id": new_id("pm"),
            "object": "payment_method",
            "created": int(time.time()),
            "customer": customer,
            "type": "card",
            "card": {"brand": brand, "last4": last4, "exp_month": 12, "exp_year": 2099},
        }
        self.payment_methods[card["id"]] = card
        return card

    def setup_intent_get(self, params: dict[str, Any], setup_id: str) -> dict[str, Any]:
        if setup_id not in self.setup_intents:
            raise not_found("setup_intent", setup_id)
        return self.setup_intents[setup_id]

    def payment_method_detach(self, params: dict[str, Any], pm_id: str) -> dict[str, Any]:
        card = self.payment_method_get(params, pm_id)
        if card["customer"] is None:
            raise StripeApiError(
                400,
                "The payment method you provided is not attached to a customer so "
                "detachment is impossible.",
                code="payment_method_unexpected_state",
            )
        card["customer"] = None
        return card


ROUTES = [
    (r"/v1/checkout/sessions", "POST", "session_create"),
    (r"/v1/checkout/sessions", "GET", "session_list"),
    (r"/v1/checkout/sessions/([^/]+)", "GET", "session_get"),
    (r"/v1/checkout/sessions/([^/]+)/expire", "POST", "session_expire"),
    (r"/v1/customers", "POST", "customer_create"),
    (r"/v1/customers/search", "GET", "customer_search"),
    (r"/v1/setup_intents/([^/]+)", "GET", "setup_intent_get"),
    (r"/v1/payment_methods/([^/]+)", "GET", "payment_method_get"),
    (r"/v1/payment_methods/([^/]+)/detach", "POST", "payment_method_detach"),
    (r"/v1/payment_intents", "POST", "intent_create"),
    (r"/v1/payment_intents/search", "GET", "intent_search"),
    (r"/v1/payment_intents/([^/]+)", "GET", "intent_get"),
    (r"/v1/refunds", "POST", "refund_create"),
    (r"/v1/refunds", "GET", "refund_list"),
    (r"/v1/refunds/([^/]+)", "GET", "refund_get"),
]
