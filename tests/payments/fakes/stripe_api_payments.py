"""PaymentIntents (with their Charges) and Refunds of the fake Stripe API
(tests/payments/fakes/stripe_api.py), and the state every part of the fake shares."""

from __future__ import annotations

import copy
import re
import secrets
import threading
import time
from typing import Any

from .stripe_api_http import StripeApiError

SEARCH_RE = re.compile(r"^metadata\['([A-Za-z0-9_]+)'\]:'([^']*)'$")


def new_id(prefix: str) -> str:
    """``pi_3f…``; Checkout Session ids carry the mode: ``cs_test_…``."""
    mode = "test_" if prefix == "cs" else ""
    return f"{prefix}_{mode}{secrets.token_hex(12)}"


def missing_param(param: str) -> StripeApiError:
    return StripeApiError(
        400, f"Missing required param: {param}.", code="parameter_missing", param=param
    )


def int_param(params: dict[str, Any], name: str) -> int:
    try:
        return int(params[name])
    except KeyError:
        raise missing_param(name) from None
    except ValueError:
        raise StripeApiError(400, f"Invalid integer: {params[name]}", param=name) from None


def not_found(kind: str, object_id: str) -> StripeApiError:
    return StripeApiError(
        404, f"No such {kind}: '{object_id}'", code="resource_missing", param="id"
    )


class StripeState:
    """The objects by id, the queued declines, and the helpers every endpoint uses."""

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

    def payment_method_get(self, params: dict[str, Any], pm_id: str) -> dict[str, Any]:
        if pm_id not in self.payment_methods:
            raise not_found("payment_method", pm_id)
        return self.payment_methods[pm_id]


class StripePayments(StripeState):
    """PaymentIntents, Charges and Refunds."""

    # PaymentIntents -------------------------------------------------------------------

    def _intent(self, **fields: Any) -> dict[str, Any]:
        intent = {
            "id": new_id("pi"),
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
            "id": new_id("ch"),
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
        amount, currency = int_param(params, "amount"), params.get("currency") or ""
        if not currency:
            raise missing_param("currency")
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
            raise not_found("payment_intent", intent_id)
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
        amount = int_param(params, "amount") if "amount" in params else left
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
            "id": new_id("re"),
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
            raise not_found("refund", refund_id)
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
