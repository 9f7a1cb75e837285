"""A local WeChat Pay API v3 gateway for tests, speaking the documented protocol.

It checks each request's ``Authorization: WECHATPAY2-SHA256-RSA2048 ...`` against the
merchant key it generated, signs each answer and notification with a platform key of its
own (``Wechatpay-Timestamp/-Nonce/-Signature/-Serial``), seals notification resources and
downloaded certificates with AEAD_AES_256_GCM under the APIv3 key, and keeps orders and
refunds in memory. Keys and the self-signed platform certificate are made when it starts
and written to a temporary folder; ``.config`` is what
``settings.PAYMENT_PROVIDERS["wechat_pay"]`` takes.

Test controls: ``pay()``, ``complete_refund()``, ``close()``, ``fail_next()``,
``build_notification()``, ``rotate_platform_certificate()``; over HTTP, for a browser test:
``GET /_fake/scan/<out_trade_no>`` (a page with a Pay button), ``POST /_fake/pay/<no>``,
``POST /_fake/refund/<out_refund_no>``. Notifications sent to ``.sink_url`` are kept in
``.received``.

The API endpoints and the HTTP handler are in ``wechat_pay_gateway.py``, the signing and
sealing in ``wechat_pay_protocol.py``.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .wechat_pay_gateway import GatewayApi, Handler
from .wechat_pay_protocol import (
    SIGNATURE_TYPE,
    Delivery,
    now_rfc3339,
    platform_certificate,
    rsa_key,
    seal,
    sign,
    to_fen,
)


@dataclass
class FakeWeChatPay(GatewayApi):
    folder: Path
    mode: str = "public_key"  # or "certificate" (PLATFORM_CERT_DIR)
    mchid: str = "1900000109"
    appid: str = "wxd678efh567hg6787"
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    received: list[Delivery] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    refund_status_on_create: str = "PROCESSING"

    def __post_init__(self) -> None:
        self.api_v3_key = secrets.token_hex(16)
        self.merchant_key = rsa_key("merchant")
        self.merchant_serial = secrets.token_hex(20).upper()
        self.platform_key = rsa_key("platform")
        self.certificates = [platform_certificate(self.platform_key)]
        self.public_key_id = "PUB_KEY_ID_" + secrets.token_hex(12).upper()
        self._errors: list[tuple[int, str]] = []
        self._lock = threading.RLock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.fake = self  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.sink_url = f"{self.url}/_fake/notifications"
        self.config = self._write_config()

    # -- keys and settings -------------------------------------------------------------------

    def _write_config(self) -> dict[str, str]:
        self.folder.mkdir(parents=True, exist_ok=True)
        key_file = self.folder / "apiclient_key.pem"
        key_file.write_bytes(
            self.merchant_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        config = {
            "MCHID": self.mchid,
            "APPID": self.appid,
            "API_V3_KEY": self.api_v3_key,
            "CERT_SERIAL_NO": self.merchant_serial,
            "PRIVATE_KEY_FILE": str(key_file),
            "API_BASE": self.url,
        }
        if self.mode == "certificate":
            cert_dir = self.folder / "platform_certs"
            cert_dir.mkdir(exist_ok=True)
            certificate = self.certificates[-1]
            pem = certificate.public_bytes(serialization.Encoding.PEM)
            (cert_dir / f"{certificate.serial_number:X}.pem").write_bytes(pem)
            config["PLATFORM_CERT_DIR"] = str(cert_dir)
        else:
            public_file = self.folder / "pub_key.pem"
            public_file.write_bytes(
                self.platform_key.public_key().public_bytes(
                    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
                )
            )
            config |= {"PUBLIC_KEY_ID": self.public_key_id, "PUBLIC_KEY_FILE": str(public_file)}
        return config

    @property
    def serial(self) -> str:
        """What ``Wechatpay-Serial`` names: the public key id or the newest certificate."""
        if self.mode == "certificate":
            return f"{self.certificates[-1].serial_number:X}"
        return self.public_key_id

    def rotate_platform_certificate(self) -> None:
        """Sign with a new platform certificate from now on (certificate mode); the old one
        stays listed by /v3/certificates, as during a real rotation."""
        self.platform_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.certificates.append(platform_certificate(self.platform_key))

    def signed_headers(
        self, body: str, *, timestamp: int | None = None, serial: str | None = None, key=None
    ) -> dict[str, str]:
        stamp, nonce = (
            str(int(time.time()) if timestamp is None else timestamp),
            secrets.token_hex(16),
        )
        return {
            "Wechatpay-Timestamp": stamp,
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": sign(key or self.platform_key, stamp, nonce, body),
            "Wechatpay-Serial": serial or self.serial,
            "Wechatpay-Signature-Type": SIGNATURE_TYPE,
        }

    # -- notifications -----------------------------------------------------------------------

    def build_notification(
        self,
        event_type: str,
        resource: dict[str, Any],
        *,
        event_id: str | None = None,
        timestamp: int | None = None,
        serial: str | None = None,
        signing_key: rsa.RSAPrivateKey | None = None,
        api_v3_key: str | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """A notification as WeChat Pay sends it: ``(body, headers)``. The keyword arguments
        make it wrong in one way (an old timestamp, another serial, a foreign signing key, a
        resource sealed with another APIv3 key)."""
        original_type = "transaction" if event_type.startswith("TRANSACTION") else "refund"
        plaintext = json.dumps(resource, ensure_ascii=False)
        body = json.dumps(
            {
                "id": event_id or f"EV-{secrets.token_hex(12)}",
                "create_time": now_rfc3339(),
                "resource_type": "encrypt-resource",
                "event_type": event_type,
                "summary": "支付成功" if original_type == "transaction" else "退款状态变更",
                "resource": {
                    "original_type": original_type,
                    **seal(api_v3_key or self.api_v3_key, plaintext, original_type),
                },
            },
            ensure_ascii=False,
        )
        headers = self.signed_headers(body, timestamp=timestamp, serial=serial, key=signing_key)
        return body.encode(), headers

    def deliver(self, url: str, body: bytes, headers: dict[str, str]) -> Delivery:
        delivery = Delivery(url=url, body=body, headers=headers)
        request = urllib.request.Request(  # noqa: S310 (an http URL the test chose)
            url, data=body, method="POST", headers={**headers, "Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
                delivery.status = response.status
        except urllib.error.HTTPError as exc:
            delivery.status = exc.code
        except urllib.error.URLError:
            delivery.status = 0
        self.deliveries.append(delivery)
        return delivery

    def pay(
        self,
        out_trade_no: str,
        amount: Decimal | None = None,
        currency: str | None = None,
        *,
        notify: bool = True,
    ) -> Delivery:
        """The customer scanned and paid (``amount`` in yuan, default the order's total):
        the order becomes SUCCESS and TRANSACTION.SUCCESS goes to its notify_url (when
        ``notify``). Returns the notification, with the receiver's status if sent."""
        with self._lock:
            order = self.orders[out_trade_no]
            if order["trade_state"] != "SUCCESS":
                order |= {
                    "trade_state": "SUCCESS",
                    "transaction_id": "4200"
                    + "".join(secrets.choice("0123456789") for _ in range(24)),
                    "success_time": now_rfc3339(),
                    "paid_total": order["total"] if amount is None else to_fen(amount),
                    "paid_currency": currency or order["currency"],
                }
            body, headers = self.build_notification("TRANSACTION.SUCCESS", self.transaction(order))
        if not notify:
            return Delivery(url=order["notify_url"], body=body, headers=headers)
        return self.deliver(order["notify_url"], body, headers)

    def complete_refund(self, out_refund_no: str, status: str = "SUCCESS") -> Delivery:
        """The refund ends (SUCCESS, ABNORMAL or CLOSED); REFUND.<status> is sent."""
        with self._lock:
            refund = self.refunds[out_refund_no]
            refund["status"] = status
            if status == "SUCCESS":
                refund["success_time"] = now_rfc3339()
            resource = self.refund_notice(refund)
            body, headers = self.build_notification(f"REFUND.{status}", resource)
        return self.deliver(refund["notify_url"], body, headers)

    def close(self, out_trade_no: str, state: str = "CLOSED") -> None:
        """The order lapses (CLOSED) or the payment fails (PAYERROR)."""
        with self._lock:
            self.orders[out_trade_no]["trade_state"] = state

    def fail_next(self, status: int = 500, code: str = "SYSTEM_ERROR", times: int = 1) -> None:
        """The next ``times`` API calls are answered with this error."""
        self._errors.extend([(status, code)] * times)

    # -- what the API shows ------------------------------------------------------------------

    def start(self) -> FakeWeChatPay:
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def fake_wechat_pay(tmp_path: Path) -> Iterator[FakeWeChatPay]:
    """A running fake in platform public key mode; ``.config`` for the adapter."""
    fake = FakeWeChatPay(tmp_path / "wechat_pay").start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_wechat_pay_certificates(tmp_path: Path) -> Iterator[FakeWeChatPay]:
    """The same in platform certificate mode (PLATFORM_CERT_DIR)."""
    fake = FakeWeChatPay(tmp_path / "wechat_pay", mode="certificate").start()
    yield fake
    fake.stop()
