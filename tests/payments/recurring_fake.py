"""An in-memory provider that keeps the adapter protocol (payments/providers/base.py):
``PaymentProvider`` and ``RecurringProvider``, for the refund, mandate and auto-charge
tests, so they do not wait on the real adapters' fakes.

Its notifications are JSON bodies signed with HMAC-SHA256 in ``X-Fake-Signature``; an
unsigned or badly signed one is rejected before anything is read, as a real adapter must.
Requests are deduplicated on our references (out_refund_no, mandate and attempt
references), as the providers document. State is per provider code and shared by every
instance (``provider_get`` makes a new one per call); ``FakeBank.reset()`` clears it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

from payments.providers.base import (
    Checkout,
    NotificationRejected,
    NotificationReply,
    ProviderError,
    ProviderEvent,
)

SECRET = b"fake-provider-test-secret"


@dataclass
class FakeState:
    configured: bool = True
    recurring: bool = True
    # What the next refund request / off-session charge answers: an outcome, or "error"
    # (ProviderError, not transient) / "transient" (ProviderError, transient).
    refund_answer: str = "pending"
    charge_answer: str = "succeeded"
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    mandates: dict[str, dict[str, Any]] = field(default_factory=dict)
    charges: list[dict[str, Any]] = field(default_factory=list)
    cancelled: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class FakeBank:
    states: ClassVar[dict[str, FakeState]] = {}

    @classmethod
    def reset(cls) -> None:
        cls.states.clear()

    @classmethod
    def state(cls, code: str) -> FakeState:
        return cls.states.setdefault(code, FakeState())


def sign(body: bytes) -> str:
    return hmac.new(SECRET, body, hashlib.sha256).hexdigest()


def notification(events: list[dict[str, Any]]) -> tuple[bytes, dict[str, str]]:
    """A signed notification body and its headers."""
    body = json.dumps({"events": events}).encode()
    return body, {"X-Fake-Signature": sign(body)}


class FakeRecurringProvider:
    code = "card"

    @property
    def s(self) -> FakeState:
        return FakeBank.state(self.code)

    def is_configured(self) -> bool:
        return self.s.configured

    def is_recurring_configured(self) -> bool:
        return self.s.configured

    # --- PaymentProvider --------------------------------------------------------------

    def checkout_start(
        self, *, reference: str, amount: Decimal, currency: str, **_: Any
    ) -> Checkout:
        return Checkout(
            provider_reference=f"cs_{reference}", redirect_url=f"https://fake.test/pay/{reference}"
        )

    def notification_verify(
        self, *, body: bytes, headers: Mapping[str, str]
    ) -> list[ProviderEvent]:
        given = headers.get("X-Fake-Signature", "")
        if not given or not hmac.compare_digest(given, sign(body)):
            raise NotificationRejected("bad signature")
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise NotificationRejected("not JSON") from exc
        events = []
        for e in data["events"]:
            amount = e.get("amount")
            events.append(
                ProviderEvent(
                    event_id=e["event_id"],
                    kind=e["kind"],
                    reference=e["reference"],
                    outcome=e["outcome"],
                    transaction_id=e.get("transaction_id", ""),
                    amount=Decimal(amount) if amount is not None else None,
                    currency=e.get("currency", ""),
                    mandate=e.get("mandate", {}),
                    detail=e.get("detail", ""),
                )
            )
        return events

    def notification_reply(self, *, accepted: bool) -> NotificationReply:
        return NotificationReply(
            200 if accepted else 500, "text/plain", b"ok" if accepted else b"no"
        )

    def payment_query(
        self, *, reference: str, provider_reference: str = ""
    ) -> ProviderEvent | None:
        for charge in self.s.charges:
            if charge["reference"] == reference and charge["outcome"] != "pending":
                return self._charge_event(charge, event_id=f"query:{charge['transaction_id']}")
        return None

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
        answer = self.s.refund_answer
        if answer in ("error", "transient"):
            raise ProviderError("refund refused", transient=answer == "transient")
        with self.s.lock:
            refund = self.s.refunds.setdefault(
                refund_reference,
                {
                    "refund_id": f"re_{len(self.s.refunds) + 1}",
                    "transaction_id": transaction_id,
                    "payment_reference": payment_reference,
                    "amount": amount,
                    "currency": currency,
                    "outcome": answer,
                    "notify_url": notify_url,
                    "requests": 0,
                },
            )
            refund["requests"] += 1
        return self._refund_event(refund_reference, event_id=f"answer:{refund['refund_id']}")

    def refund_query(
        self, *, refund_reference: str, payment_reference: str
    ) -> ProviderEvent | None:
        if refund_reference not in self.s.refunds:
            return None
        refund = self.s.refunds[refund_reference]
        return self._refund_event(
            refund_reference, event_id=f"query:{refund['refund_id']}:{refund['outcome']}"
        )

    def _refund_event(self, reference: str, *, event_id: str) -> ProviderEvent:
        refund = self.s.refunds[reference]
        return ProviderEvent(
            event_id=event_id,
            kind="refund",
            reference=reference,
            outcome=refund["outcome"],
            transaction_id=refund["refund_id"],
            amount=refund["amount"] if refund["outcome"] == "succeeded" else None,
            currency=refund["currency"],
        )

    def refund_notification(self, reference: str, outcome: str) -> tuple[bytes, dict[str, str]]:
        """The provider settles a refund and notifies us."""
        refund = self.s.refunds[reference]
        refund["outcome"] = outcome
        return notification(
            [
                {
                    "event_id": f"evt_{refund['refund_id']}_{outcome}",
                    "kind": "refund",
                    "reference": reference,
                    "outcome": outcome,
                    "transaction_id": refund["refund_id"],
                    "amount": str(refund["amount"]) if outcome == "succeeded" else None,
                    "currency": refund["currency"],
                }
            ]
        )

    # --- RecurringProvider ------------------------------------------------------------

    def mandate_start(
        self,
        *,
        reference: str,
        customer_email: str,
        return_url: str,
        notify_url: str,
        language: str = "zh-hans",
    ) -> Checkout:
        self.s.mandates.setdefault(reference, {"outcome": "pending", "return_url": return_url})
        return Checkout(
            provider_reference=f"seti_{reference}",
            redirect_url=f"https://fake.test/mandate/{reference}",
        )

    def mandate_ids(self, reference: str) -> dict[str, str]:
        return {
            "customer": f"cus_{reference}",
            "payment_method": f"pm_{reference}",
            "display": "Visa •••• 4242",
        }

    def mandate_complete(
        self, reference: str, outcome: str = "succeeded"
    ) -> tuple[bytes, dict[str, str]]:
        """The customer finished at the provider; its signed notification."""
        self.s.mandates[reference]["outcome"] = outcome
        return notification(
            [
                {
                    "event_id": f"evt_mandate_{reference}_{outcome}",
                    "kind": "mandate",
                    "reference": reference,
                    "outcome": outcome,
                    "mandate": self.mandate_ids(reference) if outcome == "succeeded" else {},
                }
            ]
        )

    def mandate_query(
        self, *, reference: str, provider_reference: str = ""
    ) -> ProviderEvent | None:
        if reference not in self.s.mandates:
            return None
        outcome = self.s.mandates[reference]["outcome"]
        return ProviderEvent(
            event_id=f"query:{reference}:{outcome}",
            kind="mandate",
            reference=reference,
            outcome=outcome,
            mandate=self.mandate_ids(reference) if outcome == "succeeded" else {},
        )

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
        answer = self.s.charge_answer
        if answer in ("error", "transient"):
            raise ProviderError("card declined", transient=answer == "transient")
        with self.s.lock:
            charge = {
                "reference": reference,
                "mandate": dict(mandate),
                "amount": amount,
                "currency": currency,
                "outcome": answer,
                "transaction_id": f"pi_{len(self.s.charges) + 1}",
            }
            self.s.charges.append(charge)
        return self._charge_event(charge, event_id=f"answer:{charge['transaction_id']}")

    def _charge_event(self, charge: dict[str, Any], *, event_id: str) -> ProviderEvent:
        return ProviderEvent(
            event_id=event_id,
            kind="payment",
            reference=charge["reference"],
            outcome=charge["outcome"],
            transaction_id=charge["transaction_id"],
            amount=charge["amount"] if charge["outcome"] == "succeeded" else None,
            currency=charge["currency"],
            detail="card declined" if charge["outcome"] == "failed" else "",
        )

    def charge_notification(self, reference: str, outcome: str) -> tuple[bytes, dict[str, str]]:
        charge = next(c for c in self.s.charges if c["reference"] == reference)
        charge["outcome"] = outcome
        event = self._charge_event(charge, event_id=f"evt_{charge['transaction_id']}_{outcome}")
        return notification(
            [
                {
                    "event_id": event.event_id,
                    "kind": "payment",
                    "reference": reference,
                    "outcome": outcome,
                    "transaction_id": event.transaction_id,
                    "amount": str(event.amount) if event.amount is not None else None,
                    "currency": event.currency,
                    "detail": event.detail,
                }
            ]
        )

    def mandate_cancel(self, *, mandate: Mapping[str, str]) -> None:
        self.s.cancelled.append(dict(mandate))


class FakeAlipay(FakeRecurringProvider):
    code = "alipay"


class FakeWeChatPay(FakeRecurringProvider):
    """A provider without saved methods (not a RecurringProvider)."""

    code = "wechat_pay"
    is_recurring_configured = None  # type: ignore[assignment]
    mandate_start = None  # type: ignore[assignment]
    mandate_query = None  # type: ignore[assignment]
    charge_off_session = None  # type: ignore[assignment]
    mandate_cancel = None  # type: ignore[assignment]
