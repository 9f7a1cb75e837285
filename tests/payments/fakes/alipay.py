"""A local Alipay gateway that speaks the open platform's documented protocol, for tests.

A threaded HTTP server on 127.0.0.1 (random port) plays ``openapi.alipay.com/gateway.do``:
it checks each request's RSA2 signature with the app's public key, keeps trades, refunds
and agreements in memory, answers with signed JSON, and sends signed notifications (form
POSTs) to the notify_url the adapter gave. Page payment and agreement signing answer with an
HTML page whose "Pay" / "Sign" button completes the trade or agreement, notifies, then
redirects the browser to the return_url, so a Playwright journey can click through it.

Use the ``fake_alipay`` fixture (import its function into your conftest or test module;
pytest registers it under the name ``fake_alipay``)::

    from tests.payments.fakes.alipay import fake_alipay_fixture  # noqa: F401

    def test_it_pays(fake_alipay, settings):
        settings.PAYMENT_PROVIDERS = {**settings.PAYMENT_PROVIDERS, "alipay": fake_alipay.config}
        ...
        body, headers = fake_alipay.pay("INV-1")  # also POSTed to the trade's notify_url

``fake_alipay.sink_url`` is a notify_url that records what it receives (``fake.sink``).
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from decimal import Decimal
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest

from . import alipay_protocol as protocol
from .alipay_handlers import GatewayHandler
from .alipay_methods import methods_answer
from .alipay_state import (
    APP_ID,
    BUYER_ID,
    BUYER_LOGON_ID,
    FORM_HEADERS,
    SELLER_ID,
    SIGN_SCENE,
    Agreement,
    Delivery,
    Trade,
)


class FakeAlipay:
    """The fake gateway, its keys and its memory; the methods below are the test's controls."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.app_key = protocol.key_pair("app")
        self.alipay_key = protocol.key_pair("alipay")
        self.stranger_key = protocol.key_pair("stranger")
        self.private_key_file = folder / "app_private_key.pem"
        self.public_key_file = folder / "alipay_public_key.pem"
        self.private_key_file.write_bytes(protocol.pem_private(self.app_key))
        self.public_key_file.write_bytes(protocol.pem_public(self.alipay_key))
        self.app_id = APP_ID
        self.lock = threading.RLock()
        self.trades: dict[str, Trade] = {}
        self.agreements: dict[str, Agreement] = {}  # by external_agreement_no
        self.pages: dict[str, tuple[str, str]] = {}  # token -> ("trade"|"agreement", key)
        self.requests: list[dict[str, str]] = []  # every authenticated gateway request
        self.deliveries: list[Delivery] = []
        self.sink: list[dict[str, str]] = []
        self.fail_statuses: list[int] = []
        self._counter = 0
        self._threads: list[threading.Thread] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), GatewayHandler)
        self.server.fake = self  # type: ignore[attr-defined]
        self.server.daemon_threads = True
        self._serving = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # -- lifetime and addresses ---------------------------------------------------------

    def start(self) -> FakeAlipay:
        self._serving.start()
        return self

    def stop(self) -> None:
        self.wait_deliveries()
        self.server.shutdown()
        self.server.server_close()

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def gateway_url(self) -> str:
        return f"{self.base_url}/gateway.do"

    @property
    def sink_url(self) -> str:
        return f"{self.base_url}/sink"

    @property
    def config(self) -> dict[str, str]:
        """What ``settings.PAYMENT_PROVIDERS["alipay"]`` holds for this fake."""
        return {
            "APP_ID": self.app_id,
            "APP_PRIVATE_KEY_FILE": str(self.private_key_file),
            "PUBLIC_KEY_FILE": str(self.public_key_file),
            "GATEWAY": self.gateway_url,
            "MODE": "page",
            "SELLER_ID": SELLER_ID,
            "AGREEMENT_SIGN_SCENE": SIGN_SCENE,
            "HTTP_TIMEOUT": "5",
        }

    def next_number(self, prefix: str) -> str:
        with self.lock:
            self._counter += 1
            return f"{prefix}{self._counter:024d}"

    # -- controls -----------------------------------------------------------------------

    def fail_next(self, status: int = 500, times: int = 1) -> None:
        """The next ``times`` gateway requests answer HTTP ``status`` (an outage)."""
        with self.lock:
            self.fail_statuses.extend([status] * times)

    def pay(self, out_trade_no: str, amount: Decimal | None = None) -> tuple[bytes, dict[str, str]]:
        """The customer pays the trade (``amount`` overrides what Alipay reports paid):
        TRADE_SUCCESS, and the notification is POSTed to the trade's notify_url."""
        with self.lock:
            trade = self.trades[out_trade_no]
            if trade.trade_status != "WAIT_BUYER_PAY":
                raise ValueError(f"trade {out_trade_no} is {trade.trade_status}")
            trade.trade_no = trade.trade_no or self.next_number("2027")
            trade.trade_status = "TRADE_SUCCESS"
            trade.paid_amount = trade.total_amount if amount is None else amount
            body, headers = self.build_notification(self.trade_fields(trade))
        self.deliver(trade.notify_url, body)
        return body, headers

    def close(self, out_trade_no: str) -> tuple[bytes, dict[str, str]]:
        """The unpaid trade times out: TRADE_CLOSED, notified."""
        with self.lock:
            trade = self.trades[out_trade_no]
            trade.trade_no = trade.trade_no or self.next_number("2027")
            trade.trade_status = "TRADE_CLOSED"
            body, headers = self.build_notification(self.trade_fields(trade))
        self.deliver(trade.notify_url, body)
        return body, headers

    def sign_agreement(self, external_agreement_no: str) -> tuple[bytes, dict[str, str]]:
        """The customer signs the agreement on Alipay's page: NORMAL, ``dut_user_sign``."""
        with self.lock:
            agreement = self.agreements[external_agreement_no]
            agreement.agreement_no = agreement.agreement_no or self.next_number("2027")
            agreement.status = "NORMAL"
            body, headers = self.build_notification(
                self.agreement_fields(agreement, "dut_user_sign", "NORMAL")
            )
        self.deliver(agreement.notify_url, body)
        return body, headers

    def agreement_by_number(self, agreement_no: str) -> Agreement | None:
        with self.lock:
            for agreement in self.agreements.values():
                if agreement.agreement_no and agreement.agreement_no == agreement_no:
                    return agreement
        return None

    def build_notification(
        self, fields: Mapping[str, str], *, key: Any = None
    ) -> tuple[bytes, dict[str, str]]:
        """A signed notification form (common fields added; ``fields`` may override them)
        and its headers. ``key`` signs instead of Alipay's key (a forger's notification)."""
        params = {
            "notify_time": "2027-01-15 10:00:00",
            "notify_id": uuid.uuid4().hex,
            "app_id": self.app_id,
            "charset": "utf-8",
            "version": "1.0",
            **fields,
        }
        body = protocol.notification_body(params, key or self.alipay_key)
        return body, dict(FORM_HEADERS)

    @staticmethod
    def tampered(body: bytes, **changes: str) -> bytes:
        """The notification with fields changed after signing (``sign`` kept)."""
        form = dict(parse_qsl(body.decode(), keep_blank_values=True))
        form.update(changes)
        return urlencode(form).encode()

    def trade_fields(self, trade: Trade, **extra: str) -> dict[str, str]:
        paid = trade.paid_amount if trade.paid_amount is not None else trade.total_amount
        return {
            "notify_type": "trade_status_sync",
            "trade_no": trade.trade_no,
            "out_trade_no": trade.out_trade_no,
            "seller_id": SELLER_ID,
            "buyer_id": BUYER_ID,
            "buyer_logon_id": BUYER_LOGON_ID,
            "trade_status": trade.trade_status,
            "total_amount": f"{paid:.2f}",
            "receipt_amount": f"{paid:.2f}",
            "buyer_pay_amount": f"{paid:.2f}",
            "subject": trade.subject,
            "gmt_create": "2027-01-15 09:59:00",
            "gmt_payment": "2027-01-15 10:00:00",
            "fund_bill_list": json.dumps(
                [{"amount": f"{paid:.2f}", "fundChannel": "ALIPAYACCOUNT"}]
            ),
            **extra,
        }

    def agreement_fields(
        self, agreement: Agreement, notify_type: str, status: str
    ) -> dict[str, str]:
        return {
            "notify_type": notify_type,
            "agreement_no": agreement.agreement_no,
            "external_agreement_no": agreement.external_agreement_no,
            "personal_product_code": agreement.personal_product_code,
            "sign_scene": agreement.sign_scene,
            "status": status,
            "alipay_user_id": BUYER_ID,
            "alipay_logon_id": BUYER_LOGON_ID,
            "sign_time": "2027-01-15 10:00:00",
            "valid_time": "2027-01-15 10:00:00",
            "invalid_time": "2115-02-01 00:00:00",
        }

    # -- notifications ------------------------------------------------------------------

    def deliver(self, url: str, body: bytes) -> Delivery:
        """POST a notification now (the page's button waits for it, as the browser's
        redirect should come after Alipay told the app)."""
        delivery = Delivery(url=url, body=body)
        with self.lock:
            self.deliveries.append(delivery)
        if not url.startswith(("http://", "https://")):
            delivery.error = "no http(s) notify_url"
            return delivery
        # http(s) only (checked above)
        request = urllib.request.Request(url, data=body, headers=FORM_HEADERS, method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=15) as answer:  # noqa: S310
                delivery.answer_status = answer.status
                delivery.answer = answer.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            delivery.answer_status = exc.code
            delivery.answer = exc.read().decode("utf-8", "replace")
        except OSError as exc:
            delivery.error = type(exc).__name__
        return delivery

    def deliver_later(self, url: str, body: bytes) -> None:
        """POST a notification after the synchronous answer (refunds, agreement charges,
        unsigning: Alipay notifies those asynchronously)."""
        thread = threading.Thread(target=self.deliver, args=(url, body), daemon=True)
        with self.lock:
            self._threads.append(thread)
        thread.start()

    def wait_deliveries(self, timeout: float = 20) -> None:
        with self.lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout)

    # -- the gateway's methods (called by the handler) ----------------------------------

    def answer(self, method: str, biz: dict[str, Any], params: Mapping[str, str]) -> dict[str, Any]:
        return methods_answer(self, method, biz, params)


@pytest.fixture(name="fake_alipay")
def fake_alipay_fixture(tmp_path: Path) -> Iterator[FakeAlipay]:
    """A running fake Alipay gateway with freshly written keys (see the module docstring)."""
    fake = FakeAlipay(tmp_path / "alipay").start()
    try:
        yield fake
    finally:
        fake.stop()
