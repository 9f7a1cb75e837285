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
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID

SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
_CHINA = dt.timezone(dt.timedelta(hours=8))
_OUT_NO = re.compile(r"[A-Za-z0-9_\-|*]{6,32}")


@cache
def _rsa_key(label: str) -> rsa.RSAPrivateKey:
    # One key per label and test process: generating RSA keys is the slow part of a start.
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _certificate(key: rsa.RSAPrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Fake WeChat Pay platform")])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        # Wide validity: tests travel in time (time_machine, faketime).
        .not_valid_before(dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
        .not_valid_after(dt.datetime(2099, 12, 31, tzinfo=dt.UTC))
        .sign(key, hashes.SHA256())
    )


def sign(key: rsa.RSAPrivateKey, *lines: str) -> str:
    """The protocol's signature: each line followed by a newline, RSA-SHA256, base64."""
    message = "".join(f"{line}\n" for line in lines).encode()
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


def seal(api_v3_key: str, plaintext: str, associated_data: str) -> dict[str, str]:
    """AEAD_AES_256_GCM as the documentation describes: 12-character nonce, base64 of
    ciphertext and tag."""
    nonce = secrets.token_hex(6)
    sealed = AESGCM(api_v3_key.encode()).encrypt(
        nonce.encode(), plaintext.encode(), associated_data.encode()
    )
    return {
        "algorithm": "AEAD_AES_256_GCM",
        "nonce": nonce,
        "associated_data": associated_data,
        "ciphertext": base64.b64encode(sealed).decode(),
    }


def _now() -> str:
    return dt.datetime.now(_CHINA).replace(microsecond=0).isoformat()


def _fen(amount: Decimal) -> int:
    fen = amount.scaleb(2)
    assert fen == fen.to_integral_value(), amount
    return int(fen)


@dataclass
class Delivery:
    """A notification the fake sent, and the HTTP status its receiver answered."""

    url: str
    body: bytes
    headers: dict[str, str]
    status: int = 0


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class FakeWeChatPay:
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
        self.merchant_key = _rsa_key("merchant")
        self.merchant_serial = secrets.token_hex(20).upper()
        self.platform_key = _rsa_key("platform")
        self.certificates = [_certificate(self.platform_key)]
        self.public_key_id = "PUB_KEY_ID_" + secrets.token_hex(12).upper()
        self._errors: list[tuple[int, str]] = []
        self._lock = threading.RLock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
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
        self.certificates.append(_certificate(self.platform_key))

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
                "create_time": _now(),
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
                    "success_time": _now(),
                    "paid_total": order["total"] if amount is None else _fen(amount),
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
                refund["success_time"] = _now()
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

    def transaction(self, order: dict[str, Any]) -> dict[str, Any]:
        paid = order["trade_state"] in {"SUCCESS", "REFUND"}
        shown = {
            "appid": self.appid,
            "mchid": self.mchid,
            "out_trade_no": order["out_trade_no"],
            "trade_type": "NATIVE",
            "trade_state": order["trade_state"],
            "trade_state_desc": {"SUCCESS": "支付成功", "NOTPAY": "未支付"}.get(
                order["trade_state"], order["trade_state"]
            ),
            "attach": "",
        }
        if not paid:
            return shown | {"amount": {"total": order["total"], "currency": order["currency"]}}
        total, currency = order["paid_total"], order["paid_currency"]
        return shown | {
            "transaction_id": order["transaction_id"],
            "bank_type": "OTHERS",
            "success_time": order["success_time"],
            "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
            "amount": {
                "total": total,
                "payer_total": total,
                "currency": currency,
                "payer_currency": currency,
            },
        }

    def refund_answer(self, refund: dict[str, Any]) -> dict[str, Any]:
        return {
            "refund_id": refund["refund_id"],
            "out_refund_no": refund["out_refund_no"],
            "transaction_id": refund["transaction_id"],
            "out_trade_no": refund["out_trade_no"],
            "channel": "ORIGINAL",
            "user_received_account": "支付用户零钱",
            "create_time": refund["create_time"],
            "status": refund["status"],
            "funds_account": "AVAILABLE",
            **({"success_time": refund["success_time"]} if "success_time" in refund else {}),
            "amount": {
                "total": refund["total"],
                "refund": refund["refund"],
                "payer_total": refund["total"],
                "payer_refund": refund["refund"],
                "settlement_total": refund["total"],
                "settlement_refund": refund["refund"],
                "discount_refund": 0,
                "currency": "CNY",
                "refund_fee": 0,
            },
        }

    def refund_notice(self, refund: dict[str, Any]) -> dict[str, Any]:
        """A refund notification's resource: ``refund_status``, amounts without currency."""
        answer = self.refund_answer(refund)
        amount = {
            k: answer["amount"][k] for k in ("total", "refund", "payer_total", "payer_refund")
        }
        return {
            "mchid": self.mchid,
            "refund_status": answer.pop("status"),
            **{
                k: v
                for k, v in answer.items()
                if k not in {"channel", "create_time", "funds_account"}
            },
            "amount": amount,
        }

    # -- the HTTP API ------------------------------------------------------------------------

    def api(self, method: str, target: str, data: dict[str, Any]) -> tuple[int, Any]:
        self.requests.append({"method": method, "path": target, "body": data})
        if self._errors:
            status, code = self._errors.pop(0)
            raise ApiError(status, code, "fake failure")
        path, query = urlsplit(target).path, parse_qs(urlsplit(target).query)
        with self._lock:
            if method == "POST" and path == "/v3/pay/transactions/native":
                return 200, self._native(data)
            if match := re.fullmatch(r"/v3/pay/transactions/out-trade-no/([^/]+)", path):
                if query.get("mchid") != [self.mchid]:
                    raise ApiError(400, "PARAM_ERROR", "mchid")
                if match[1] not in self.orders:
                    raise ApiError(404, "ORDER_NOT_EXIST", "订单不存在")
                return 200, self.transaction(self.orders[match[1]])
            if method == "POST" and path == "/v3/refund/domestic/refunds":
                return 200, self.refund_answer(self._refund(data))
            if match := re.fullmatch(r"/v3/refund/domestic/refunds/([^/]+)", path):
                if match[1] not in self.refunds:
                    raise ApiError(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
                return 200, self.refund_answer(self.refunds[match[1]])
            if path == "/v3/certificates":
                return 200, {"data": [self._listed(c) for c in self.certificates]}
        raise ApiError(404, "NOT_FOUND", "no such API in the fake")

    def _native(self, data: dict[str, Any]) -> dict[str, Any]:
        amount = data.get("amount") or {}
        total = amount.get("total")
        if (
            data.get("appid") != self.appid
            or data.get("mchid") != self.mchid
            or not _OUT_NO.fullmatch(str(data.get("out_trade_no", "")))
            or not 1 <= len(str(data.get("description", "")).encode()) <= 127
            or not str(data.get("notify_url", "")).startswith(("http://", "https://"))
            or not isinstance(total, int)
            or total <= 0
            or amount.get("currency", "CNY") != "CNY"
        ):
            raise ApiError(400, "PARAM_ERROR", "参数错误")
        if data.get("time_expire"):
            dt.datetime.fromisoformat(data["time_expire"])  # RFC 3339, or a 500 here
        existing = self.orders.get(data["out_trade_no"])
        if existing:
            if existing["trade_state"] != "NOTPAY":
                raise ApiError(400, "ORDERPAID", "订单已支付")
            if existing["total"] != total:
                raise ApiError(400, "INVALID_REQUEST", "订单号重复")
            return {"code_url": existing["code_url"]}
        order = {
            "out_trade_no": data["out_trade_no"],
            "description": data["description"],
            "notify_url": data["notify_url"],
            "time_expire": data.get("time_expire", ""),
            "total": total,
            "currency": "CNY",
            "trade_state": "NOTPAY",
            "code_url": f"weixin://wxpay/bizpayurl?pr={secrets.token_urlsafe(6)}",
        }
        self.orders[order["out_trade_no"]] = order
        return {"code_url": order["code_url"]}

    def _refund(self, data: dict[str, Any]) -> dict[str, Any]:
        if data.get("out_refund_no") in self.refunds:
            return self.refunds[data["out_refund_no"]]
        order = next(
            (
                o
                for o in self.orders.values()
                if o.get("transaction_id") == data.get("transaction_id")
                or (
                    not data.get("transaction_id") and o["out_trade_no"] == data.get("out_trade_no")
                )
            ),
            None,
        )
        if order is None or order["trade_state"] not in {"SUCCESS", "REFUND"}:
            raise ApiError(404, "RESOURCE_NOT_EXISTS", "订单不存在")
        amount = data.get("amount") or {}
        refunded = sum(
            r["refund"] for r in self.refunds.values() if r["out_trade_no"] == order["out_trade_no"]
        )
        refund = amount.get("refund")
        if (
            amount.get("total") != order["paid_total"]
            or not isinstance(refund, int)
            or not 0 < refund <= order["paid_total"] - refunded
            or not _OUT_NO.fullmatch(str(data.get("out_refund_no", "")))
        ):
            raise ApiError(400, "INVALID_REQUEST", "退款金额错误")
        order["trade_state"] = "REFUND"
        record = {
            "refund_id": "50" + "".join(secrets.choice("0123456789") for _ in range(27)),
            "out_refund_no": data["out_refund_no"],
            "transaction_id": order["transaction_id"],
            "out_trade_no": order["out_trade_no"],
            "notify_url": data.get("notify_url", ""),
            "reason": data.get("reason", ""),
            "create_time": _now(),
            "status": self.refund_status_on_create,
            "refund": refund,
            "total": order["paid_total"],
        }
        self.refunds[record["out_refund_no"]] = record
        return record

    def _listed(self, certificate: x509.Certificate) -> dict[str, Any]:
        pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
        return {
            "serial_no": f"{certificate.serial_number:X}",
            "effective_time": certificate.not_valid_before_utc.astimezone(_CHINA).isoformat(),
            "expire_time": certificate.not_valid_after_utc.astimezone(_CHINA).isoformat(),
            "encrypt_certificate": seal(self.api_v3_key, pem, "certificate"),
        }

    def authentication_error(self, method: str, target: str, body: bytes, header: str) -> str:
        """Why the request's Authorization header does not verify ("" when it does)."""
        scheme, _, params = header.partition(" ")
        fields = dict(re.findall(r'(\w+)="([^"]*)"', params))
        if scheme != SIGNATURE_TYPE or fields.get("mchid") != self.mchid:
            return "scheme or mchid"
        if fields.get("serial_no") != self.merchant_serial:
            return "merchant certificate serial"
        if (
            not fields.get("timestamp", "").isdigit()
            or abs(time.time() - int(fields["timestamp"])) > 300
        ):
            return "timestamp"
        message = f"{method}\n{target}\n{fields['timestamp']}\n{fields.get('nonce_str', '')}\n"
        try:
            self.merchant_key.public_key().verify(
                base64.b64decode(fields.get("signature", "")),
                (message + body.decode() + "\n").encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except (InvalidSignature, ValueError):
            return "signature"
        return ""

    # -- running -----------------------------------------------------------------------------

    def start(self) -> FakeWeChatPay:
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer

    @property
    def fake(self) -> FakeWeChatPay:
        return self.server.fake  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def _send(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Request-ID", secrets.token_hex(16))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, payload: Any) -> None:
        text = json.dumps(payload, ensure_ascii=False) if payload is not None else ""
        # Answers are signed; errors are not (the SDK only verifies 2xx answers).
        headers = self.fake.signed_headers(text) if status < 300 else {}
        self._send(status, text.encode(), "application/json; charset=utf-8", headers)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_GET(self) -> None:
        self._dispatch("GET", b"")

    def do_POST(self) -> None:
        self._dispatch("POST", self._body())

    def _dispatch(self, method: str, body: bytes) -> None:
        path = urlsplit(self.path).path
        if path.startswith("/_fake/"):
            return self._control(method, path, body)
        error = self.fake.authentication_error(
            method, self.path, body, self.headers.get("Authorization", "")
        )
        if error:
            return self._json(401, {"code": "SIGN_ERROR", "message": f"签名错误 ({error})"})
        try:
            status, payload = self.fake.api(method, self.path, json.loads(body) if body else {})
        except ApiError as exc:
            return self._json(exc.status, {"code": exc.code, "message": exc.message})
        self._json(status, payload)

    def _control(self, method: str, path: str, body: bytes) -> None:
        fake = self.fake
        kind, _, key = path.removeprefix("/_fake/").partition("/")
        if kind == "notifications" and method == "POST":
            fake.received.append(Delivery(url=path, body=body, headers=dict(self.headers.items())))
            return self._send(204, b"", "text/plain")
        if kind == "scan" and key in fake.orders:
            order = fake.orders[key]
            page = (
                "<!doctype html><title>WeChat Pay (fake)</title>"
                f"<p>{html.escape(order['description'])}"
                f" ¥{Decimal(order['total']).scaleb(-2)} — {order['trade_state']}</p>"
                f'<form method="post" action="/_fake/pay/{html.escape(key)}">'
                "<button>Pay</button></form>"
            )
            return self._send(200, page.encode(), "text/html; charset=utf-8")
        if kind == "pay" and method == "POST" and key in fake.orders:
            delivery = fake.pay(key)
            return self._send(
                200, f"paid; notification answered {delivery.status}".encode(), "text/plain"
            )
        if kind == "refund" and method == "POST" and key in fake.refunds:
            status = parse_qs(urlsplit(self.path).query).get("status", ["SUCCESS"])[0]
            delivery = fake.complete_refund(key, status)
            return self._send(
                200, f"refund {status}; answered {delivery.status}".encode(), "text/plain"
            )
        self._send(404, b"unknown", "text/plain")


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
