"""A local fake of the Stripe API for the card adapter's tests (docs/payments.md).

It speaks what ``payments.providers.stripe_checkout`` uses of Stripe's documented v1 API,
over real HTTP on 127.0.0.1, so the ``stripe`` SDK code path runs unchanged: form-encoded
requests with a Bearer secret key, Stripe-shaped JSON objects and error objects (402
``card_declined``), idempotency keys, ``expand``, PaymentIntent and Customer search by
metadata; a hosted Checkout page (``session.url``) with Pay / Save card; and webhook events
signed as Stripe signs them (``Stripe-Signature: t=<ts>,v1=<HMAC-SHA256(secret,
"<ts>.<body>")>``), delivered in the background to ``webhook_url`` (Stripe posts to the
endpoint configured in its dashboard, so the test sets it). Keys are generated per fake.

Use: the ``fake_stripe`` fixture (the settings are ``fake_stripe.config``), or
``fake_stripe_settings`` which also puts them in ``settings.PAYMENT_PROVIDERS["card"]``.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import queue
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from http.server import ThreadingHTTPServer
from typing import Any

import pytest

from .stripe_api_http import StripeApiError, make_handler
from .stripe_api_resources import StripeResources

API_VERSION = "2026-10-28.endive"  # the version the stripe v16 SDK pins


@dataclass
class Delivery:
    event_id: str
    status: int  # 0 when the endpoint could not be reached
    error: str = ""


class FakeStripe(StripeResources):
    def __init__(self) -> None:
        super().__init__()
        self.secret_key = "sk_test_" + secrets.token_hex(12)
        self.webhook_secret = "whsec_" + secrets.token_hex(16)
        self.webhook_url: str | None = None
        self.events: list[dict[str, Any]] = []
        self.deliveries: list[Delivery] = []
        self.requests: list[tuple[str, str, dict[str, Any]]] = []
        self._failures: list[int] = []
        self._idempotent: dict[str, tuple[str, int, dict[str, Any]]] = {}
        self._outbox: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(self))
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._threads = [
            threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True),
            threading.Thread(target=self._deliver_forever, daemon=True),
        ]

    @property
    def config(self) -> dict[str, str]:
        """``settings.PAYMENT_PROVIDERS["card"]`` for this fake. No retries by default, so
        an injected 500 answers at once; a test about retries sets MAX_NETWORK_RETRIES."""
        return {
            "SECRET_KEY": self.secret_key,
            "WEBHOOK_SECRET": self.webhook_secret,
            "API_BASE": self.base_url,
            "MAX_NETWORK_RETRIES": "0",
            "TIMEOUT": "10",
        }

    def start(self) -> FakeStripe:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._outbox.put(None)
        self._server.shutdown()
        self._server.server_close()

    # The API: what the HTTP handler calls -------------------------------------------------

    def api(
        self, method: str, path: str, params: dict[str, Any], *, idempotency_key: str = ""
    ) -> tuple[int, dict[str, Any]]:
        with self.lock:
            self.requests.append((method, path, params))
            if self._failures:
                status = self._failures.pop(0)
                raise StripeApiError(
                    status,
                    "An unknown error occurred (injected by the test).",
                    type="api_error" if status >= 500 else "invalid_request_error",
                    code="rate_limit" if status == 429 else "",
                )
            fingerprint = json.dumps(params, sort_keys=True)
            if method == "POST" and idempotency_key in self._idempotent:
                seen, status, answer = self._idempotent[idempotency_key]
                if seen != fingerprint:
                    raise StripeApiError(
                        400,
                        "Keys for idempotent requests can only be used with the same "
                        "parameters they were first used with.",
                        type="idempotency_error",
                    )
                return status, answer
            try:
                status, answer = 200, self.route(method, path, params)
            except StripeApiError as err:
                if err.status != 402:
                    raise
                status, answer = 402, {"error": err.body}
            if method == "POST" and idempotency_key:
                self._idempotent[idempotency_key] = (fingerprint, status, answer)
            return status, answer

    # Events and webhooks --------------------------------------------------------------

    def emit(self, event_type: str, obj: dict[str, Any]) -> dict[str, Any]:
        """Record an event about ``obj`` (a snapshot) and queue its delivery."""
        event = self.event(event_type, obj)
        self.events.append(event)
        self._outbox.put(event)
        return event

    def event(self, event_type: str, obj: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": "evt_" + secrets.token_hex(12),
            "object": "event",
            "api_version": API_VERSION,
            "created": int(time.time()),
            "data": {"object": copy.deepcopy(obj)},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
        }

    def signature_header(
        self, payload: bytes, *, secret: str | None = None, timestamp: int | None = None
    ) -> str:
        """``t=<ts>,v1=<hex HMAC-SHA256(secret, "<ts>.<payload>")>``, as Stripe signs."""
        ts = int(time.time()) if timestamp is None else timestamp
        mac = hmac.new(
            (secret or self.webhook_secret).encode(),
            f"{ts}.".encode() + payload,
            hashlib.sha256,
        )
        return f"t={ts},v1={mac.hexdigest()}"

    def signed(
        self, event: dict[str, Any], *, secret: str | None = None, timestamp: int | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """The body and headers Stripe would post for ``event``."""
        body = json.dumps(event, indent=2).encode()
        return body, {
            "Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": self.signature_header(body, secret=secret, timestamp=timestamp),
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        }

    def build_event(
        self,
        event_type: str,
        obj: dict[str, Any],
        *,
        secret: str | None = None,
        timestamp: int | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """A signed event about ``obj`` that is neither recorded nor delivered."""
        return self.signed(self.event(event_type, obj), secret=secret, timestamp=timestamp)

    def last_event(self, event_type: str) -> dict[str, Any]:
        return next(e for e in reversed(self.events) if e["type"] == event_type)

    def redeliver(self, event_id: str) -> None:
        """Send an event again (Stripe retries until it gets a 2xx)."""
        self._outbox.put(next(e for e in self.events if e["id"] == event_id))

    def wait_for_deliveries(self, timeout: float = 10) -> None:
        """Block until every queued event has been posted to ``webhook_url``."""
        deadline = time.monotonic() + timeout
        while self._outbox.unfinished_tasks:
            if time.monotonic() > deadline:
                raise TimeoutError("fake Stripe: webhook deliveries still queued")
            time.sleep(0.02)

    def _deliver_forever(self) -> None:
        while True:
            event = self._outbox.get()
            try:
                if event is None:
                    return
                if self.webhook_url:
                    self._deliver(event)
            finally:
                self._outbox.task_done()

    def _deliver(self, event: dict[str, Any]) -> None:
        body, headers = self.signed(event)
        request = urllib.request.Request(  # noqa: S310 (the test sets an http URL)
            self.webhook_url or "", data=body, headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                self.deliveries.append(Delivery(event["id"], response.status))
        except urllib.error.HTTPError as err:
            self.deliveries.append(Delivery(event["id"], err.code, err.read()[:200].decode()))
        except OSError as err:
            self.deliveries.append(Delivery(event["id"], 0, str(err)))

    # Test controls --------------------------------------------------------------------

    def fail_next_requests(self, status: int = 500, times: int = 1) -> None:
        """The next ``times`` API requests answer ``status`` with Stripe's error shape."""
        with self.lock:
            self._failures += [status] * times

    def decline_next_charge(self, code: str = "card_declined", decline_code: str = "") -> None:
        """The next off-session PaymentIntent fails with a 402 ``code`` (``card_declined``,
        ``authentication_required``, ``expired_card``)."""
        with self.lock:
            self.declines.append((code, decline_code or code))

    @staticmethod
    def major_units(minor: int, currency: str) -> Decimal:
        exponent = 0 if currency.upper() in ("JPY", "KRW", "VND") else 2
        return Decimal(minor).scaleb(-exponent)

    def requests_to(self, method: str, path_pattern: str) -> list[dict[str, Any]]:
        """The parameters of every API request matching (a regex over the path)."""
        return [
            p for m, path, p in self.requests if m == method and re.fullmatch(path_pattern, path)
        ]


@pytest.fixture
def fake_stripe() -> Iterator[FakeStripe]:
    fake = FakeStripe().start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def fake_stripe_settings(fake_stripe: FakeStripe, settings: Any) -> FakeStripe:
    """``fake_stripe`` configured as the card provider in ``settings.PAYMENT_PROVIDERS``."""
    settings.PAYMENT_PROVIDERS = {**settings.PAYMENT_PROVIDERS, "card": fake_stripe.config}
    return fake_stripe
