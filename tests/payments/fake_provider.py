"""An in-test payment provider that keeps the protocol of ``payments.providers.base``.

It behaves as the real adapters do, in memory: ``checkout_start`` makes an order (a QR code
for "wechat_pay", a redirect for the others), the test "pays" it (``pay``), and the fake
produces the provider's notification: a JSON body signed with HMAC-SHA256 over
``<timestamp>.<body>`` in ``X-Fake-Timestamp`` / ``X-Fake-Signature``. ``notification_verify``
checks the signature and the timestamp (5 minutes) before it reads the body, as every real
adapter must, and raises ``NotificationRejected`` otherwise. ``payment_query`` answers from
the orders. The key is made per test run, never committed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone

from payments.providers.base import (
    Checkout,
    NotificationRejected,
    NotificationReply,
    ProviderError,
    ProviderEvent,
)

TOLERANCE = 300


@dataclass
class Order:
    reference: str
    amount: Decimal
    currency: str
    notify_url: str
    return_url: str
    state: str = "pending"  # pending | succeeded | failed | closed
    transaction_id: str = ""
    paid_amount: Decimal | None = None
    paid_currency: str = ""


@dataclass
class FakeWorld:
    """What every fake provider instance shares during one test."""

    key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    orders: dict[str, Order] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    refuse_next_checkout: bool = False
    queries_fail: bool = False
    expires_in: dt.timedelta = dt.timedelta(minutes=30)


WORLD = FakeWorld()


def world_reset() -> FakeWorld:
    global WORLD
    WORLD = FakeWorld()
    return WORLD


class FakeProvider:
    code = "wechat_pay"

    def is_configured(self) -> bool:
        return bool(settings.PAYMENT_PROVIDERS.get(self.code, {}).get("FAKE"))

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
        WORLD.calls.append(("checkout_start", reference))
        if WORLD.refuse_next_checkout:
            WORLD.refuse_next_checkout = False
            raise ProviderError("fake: SYSTEM_ERROR", transient=True, code="SYSTEM_ERROR")
        assert len(reference) <= 32 and reference.replace("_", "").replace("-", "").isalnum()
        WORLD.orders[reference] = Order(reference, amount, currency, notify_url, return_url)
        expires = timezone.now() + WORLD.expires_in
        if self.code == "wechat_pay":
            return Checkout(
                provider_reference=f"prepay_{reference}",
                qr_code=f"weixin://wxpay/bizpayurl?pr={reference}",
                expires_at=expires,
            )
        return Checkout(
            provider_reference=f"sess_{reference}",
            redirect_url=f"https://pay.fake.example/{self.code}/{reference}",
            expires_at=expires,
        )

    # -- the test's side: the customer pays, the provider notifies -----------------------

    def pay(
        self,
        reference: str,
        *,
        amount: Decimal | None = None,
        currency: str | None = None,
        state: str = "succeeded",
    ) -> Order:
        order = WORLD.orders[reference]
        order.state = state
        if state == "succeeded":
            order.transaction_id = f"tx_{reference}"
            order.paid_amount = order.amount if amount is None else amount
            order.paid_currency = currency or order.currency
        return order

    def notification(
        self, reference: str, *, event_id: str | None = None, timestamp: int | None = None
    ) -> tuple[bytes, dict[str, str]]:
        order = WORLD.orders[reference]
        body = json.dumps(
            {
                "id": event_id or f"evt_{secrets.token_hex(6)}",
                "type": "payment",
                "out_trade_no": reference,
                "state": order.state,
                "transaction_id": order.transaction_id,
                "amount": str(order.paid_amount) if order.paid_amount is not None else None,
                "currency": order.paid_currency,
            }
        ).encode()
        ts = int(time.time()) if timestamp is None else timestamp
        return body, {"X-Fake-Timestamp": str(ts), "X-Fake-Signature": self.sign(body, ts)}

    @staticmethod
    def sign(body: bytes, ts: int) -> str:
        return hmac.new(WORLD.key, f"{ts}.".encode() + body, hashlib.sha256).hexdigest()

    # -- the protocol ---------------------------------------------------------------------

    def notification_verify(
        self, *, body: bytes, headers: Mapping[str, str]
    ) -> list[ProviderEvent]:
        try:
            ts = int(headers.get("X-Fake-Timestamp", ""))
        except ValueError as exc:
            raise NotificationRejected("missing timestamp") from exc
        if abs(time.time() - ts) > TOLERANCE:
            raise NotificationRejected("stale timestamp")
        expected = self.sign(body, ts)
        if not hmac.compare_digest(expected, headers.get("X-Fake-Signature", "")):
            raise NotificationRejected("bad signature")
        data = json.loads(body)
        return [self._event(data["id"], data)]

    def _event(self, event_id: str, data: Mapping[str, Any]) -> ProviderEvent:
        return ProviderEvent(
            event_id=event_id,
            kind="payment",
            reference=data["out_trade_no"],
            outcome=data["state"],
            transaction_id=data.get("transaction_id") or "",
            amount=Decimal(data["amount"]) if data.get("amount") else None,
            currency=data.get("currency") or "",
            raw={"state": data["state"], "sign": "never-stored"},
        )

    def notification_reply(self, *, accepted: bool) -> NotificationReply:
        if accepted:
            return NotificationReply(200, "application/json", b'{"code":"SUCCESS"}')
        return NotificationReply(400, "application/json", b'{"code":"FAIL"}')

    def payment_query(
        self, *, reference: str, provider_reference: str = ""
    ) -> ProviderEvent | None:
        WORLD.calls.append(("payment_query", reference))
        if WORLD.queries_fail:
            raise ProviderError("fake: timeout", transient=True)
        order = WORLD.orders.get(reference)
        if order is None:
            return None
        return self._event(
            f"query:{order.transaction_id or reference}:{order.state}",
            {
                "out_trade_no": reference,
                "state": order.state,
                "transaction_id": order.transaction_id,
                "amount": str(order.paid_amount) if order.paid_amount is not None else None,
                "currency": order.paid_currency,
            },
        )

    def refund_start(self, **kwargs: Any) -> ProviderEvent:  # pragma: no cover - H6's tests
        raise ProviderError("fake: refunds are not faked here")

    def refund_query(self, **kwargs: Any) -> ProviderEvent | None:  # pragma: no cover
        return None


class FakeWeChatPay(FakeProvider):
    code = "wechat_pay"


class FakeAlipay(FakeProvider):
    code = "alipay"


class FakeCard(FakeProvider):
    code = "card"


FAKE_CLASSES = {
    "wechat_pay": "tests.payments.fake_provider.FakeWeChatPay",
    "alipay": "tests.payments.fake_provider.FakeAlipay",
    "card": "tests.payments.fake_provider.FakeCard",
}
