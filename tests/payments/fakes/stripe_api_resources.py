"""The objects of the fake Stripe API and its endpoints (tests/payments/fakes/stripe_api.py):
Checkout Sessions, PaymentIntents and their Charges, Refunds, Customers, SetupIntents and
PaymentMethods, shaped as Stripe documents them (docs.stripe.com/api), with the checks
Stripe makes that the adapter could get wrong."""

from __future__ import annotations

import copy
import re
import secrets
import threading
import time
from typing import Any

from .stripe_api_http import StripeApiError

SEARCH_RE = re.compile(r"^metadata\['([A-Za-z0-9_]+)'\]:'([^']*)'$")


def _new_id(prefix: str) -> str:
    return (
        f"{prefix}_test_{secrets.token_hex(12)}"
        if prefix == "cs"
        else f"{prefix}_" + (secrets.token_hex(12))
    )


def _missing(param: str) -> StripeApiError:
    return StripeApiError(
        400, f"Missing required param: {param}.", code="parameter_missing", param=param
    )


def _int(params: dict[str, Any], name: str) -> int:
    try:
        return int(params[name])
    except KeyError:
        raise _missing(name) from None
    except ValueError:
        raise StripeApiError(400, f"Invalid integer: {params[name]}", param=name) from None


def _not_found(kind: str, object_id: str) -> StripeApiError:
    return StripeApiError(
        404, f"No such {kind}: '{object_id}'", code="resource_missing", param="id"
    )


class StripeResources:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.sessions: dict[str, dict[str, Any]] = {}
        self.payment_intents: dict[str, dict[str, Any]] = {}
        self.charges: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.customers: dict[str, dict[str, Any]] = {}
        self.setup_intents: dict[str, dict[str, Any]] = {}
        self.payment_methods: dict[str, dict[str, Any]] = {}
        self.declines: list[tuple[str, str]] = []
        self.next_refund_status = "succeeded"
        self._session_extras: dict[str, dict[str, Any]] = {}
        self.base_url = ""

    def emit(self, event_type: str, obj: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

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

    def _list(self, items: list[dict[str, Any]], url: str, limit: Any) -> dict[str, Any]:
        items = sorted(items, key=lambda o: o["created"], reverse=True)
        count = int(limit or 10)
        return {"object": "list", "data": items[:count], "has_more": len(items) > count, "url": url}

    def _search(
        self, store: dict[str, dict[str, Any]], params: dict[str, Any], url: str
    ) -> dict[str, Any]:
        match = SEARCH_RE.match(params.get("query", ""))
        if not match:
            raise StripeApiError(400, "Unsupported search query (fake)", param="query")
        key, value = match.groups()
        found = [o for o in store.values() if (o.get("metadata") or {}).get(key) == value]
        listed = self._list(found, url, params.get("limit"))
        return {**listed, "object": "search_result", "next_page": None}

    # Checkout Sessions ----------------------------------------------------------------

    def session_create(self, params: dict[str, Any]) -> dict[str, Any]:
        mode = params.get("mode") or ""
        if mode not in ("payment", "setup"):
            raise _missing("mode")
        if not params.get("success_url"):
            raise _missing("success_url")
        amount, currency = None, params.get("currency")
        if mode == "payment":
            items = params.get("line_items") or []
            if not items:
                raise _missing("line_items")
            amount = 0
            for i, item in enumerate(items):
                price = item.get("price_data") or {}
                if not (price.get("product_data") or {}).get("name"):
                    raise _missing(f"line_items[{i}][price_data][product_data][name]")
                amount += _int(price, "unit_amount") * int(item.get("quantity", 1))
                currency = price.get("currency") or ""
        customer = params.get("customer")
        if customer and customer not in self.customers:
            raise _not_found("customer", customer)
        now = int(time.time())
        session = {
            "id": _new_id("cs"),
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
            raise _not_found("checkout.session", session_id)
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
                    "id": _new_id("seti"),
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
            "id": _new_id("cus"),
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
            "id": _new_id("pm"),
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
            raise _not_found("setup_intent", setup_id)
        return self.setup_intents[setup_id]

    def payment_method_get(self, params: dict[str, Any], pm_id: str) -> dict[str, Any]:
        if pm_id not in self.payment_methods:
            raise _not_found("payment_method", pm_id)
        return self.payment_methods[pm_id]

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

    # PaymentIntents -------------------------------------------------------------------

    def _intent(self, **fields: Any) -> dict[str, Any]:
        intent = {
            "id": _new_id("pi"),
            "object": "payment_intent",
            "amount_received": 0,
            "created": int(time.time()),
            "last_payment_error": None,
            "latest_charge": None,
            "status": "requires_confirmation",
            **fields,
        }
        self.payment_intents[intent["id"]] = intent
        return intent

    def _succeed(self, intent: dict[str, Any]) -> None:
        charge = {
            "id": _new_id("ch"),
            "object": "charge",
            "amount": intent["amount"],
            "amount_refunded": 0,
            "created": int(time.time()),
            "currency": intent["currency"],
            "payment_intent": intent["id"],
            "refunded": False,
            "status": "succeeded",
        }
        self.charges[charge["id"]] = charge
        intent.update(
            status="succeeded", amount_received=intent["amount"], latest_charge=charge["id"]
        )

    def intent_create(self, params: dict[str, Any]) -> dict[str, Any]:
        amount, currency = _int(params, "amount"), params.get("currency") or ""
        if not currency:
            raise _missing("currency")
        card_id = params.get("payment_method") or ""
        card = self.payment_method_get(params, card_id) if card_id else None
        if card and card["customer"] != params.get("customer"):
            raise StripeApiError(
                400,
                "The provided PaymentMethod does not belong to this Customer.",
                param="payment_method",
            )
        intent = self._intent(
            amount=amount,
            currency=currency,
            customer=params.get("customer"),
            payment_method=card_id or None,
            metadata=params.get("metadata") or {},
            description=params.get("description"),
        )
        if params.get("confirm") != "true" or card is None:
            return intent
        if self.declines:
            code, decline_code = self.declines.pop(0)
            error: dict[str, Any] = {
                "type": "card_error",
                "code": code,
                "decline_code": decline_code,
                "message": "Your card was declined." if code == "card_declined" else code,
                "payment_method": card,
            }
            intent.update(status="requires_payment_method", last_payment_error=error)
            self.emit("payment_intent.payment_failed", intent)
            raise StripeApiError(
                402,
                str(error["message"]),
                **{k: v for k, v in error.items() if k != "message"},
                payment_intent=copy.deepcopy(intent),
            )
        self._succeed(intent)
        self.emit("payment_intent.succeeded", intent)
        return intent

    def intent_get(self, params: dict[str, Any], intent_id: str) -> dict[str, Any]:
        if intent_id not in self.payment_intents:
            raise _not_found("payment_intent", intent_id)
        return self.payment_intents[intent_id]

    def intent_search(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._search(self.payment_intents, params, "/v1/payment_intents/search")

    # Refunds --------------------------------------------------------------------------

    def refund_create(self, params: dict[str, Any]) -> dict[str, Any]:
        intent = self.intent_get(params, params.get("payment_intent") or "")
        charge = self.charges.get(intent.get("latest_charge") or "")
        if charge is None:
            raise StripeApiError(400, "This PaymentIntent has no successful charge to refund.")
        left = charge["amount"] - charge["amount_refunded"]
        amount = _int(params, "amount") if "amount" in params else left
        if left == 0:
            raise StripeApiError(
                400, "Charge has already been refunded.", code="charge_already_refunded"
            )
        if amount > left:
            raise StripeApiError(
                400,
                "Refund amount is greater than unrefunded amount on charge.",
                code="amount_too_large",
                param="amount",
            )
        refund = {
            "id": _new_id("re"),
            "object": "refund",
            "amount": amount,
            "charge": charge["id"],
            "created": int(time.time()),
            "currency": charge["currency"],
            "failure_reason": None,
            "metadata": params.get("metadata") or {},
            "payment_intent": intent["id"],
            "reason": params.get("reason"),
            "status": self.next_refund_status,
        }
        self.refunds[refund["id"]] = refund
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        self.emit("refund.created", refund)
        self.emit("charge.refunded", charge)
        return refund

    def refund_get(self, params: dict[str, Any], refund_id: str) -> dict[str, Any]:
        if refund_id not in self.refunds:
            raise _not_found("refund", refund_id)
        return self.refunds[refund_id]

    def refund_list(self, params: dict[str, Any]) -> dict[str, Any]:
        found = [
            r
            for r in self.refunds.values()
            if r["payment_intent"] == params.get("payment_intent", r["payment_intent"])
        ]
        return self._list(found, "/v1/refunds", params.get("limit"))

    def settle_refund(self, refund_id: str, status: str = "succeeded") -> dict[str, Any]:
        """The bank settles a pending refund: ``refund.updated`` (and ``refund.failed``)."""
        with self.lock:
            refund = self.refunds[refund_id]
            refund["status"] = status
            if status == "failed":
                refund["failure_reason"] = "expired_or_canceled_card"
                charge = self.charges[refund["charge"]]
                charge["amount_refunded"] -= refund["amount"]
                charge["refunded"] = False
                self.emit("refund.failed", refund)
            return self.emit("refund.updated", refund)


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
