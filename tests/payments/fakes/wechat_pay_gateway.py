"""The HTTP side of the fake WeChat Pay gateway: the API v3 endpoints (``GatewayApi``, mixed
into ``FakeWeChatPay``) and the request handler with the test-control pages.

API: ``POST /v3/pay/transactions/native``, ``GET /v3/pay/transactions/out-trade-no/<no>?mchid=``,
``POST /v3/refund/domestic/refunds``, ``GET /v3/refund/domestic/refunds/<no>``,
``GET /v3/certificates``; every request's Authorization header is verified, every 2xx
answer signed. Controls (no authentication): ``GET /_fake/scan/<out_trade_no>``,
``POST /_fake/pay/<out_trade_no>``, ``POST /_fake/refund/<out_refund_no>?status=SUCCESS``,
``POST /_fake/notifications`` (a receiver that keeps what it is sent).
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
from collections.abc import Callable
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .wechat_pay_protocol import (
    CHINA,
    OUT_NO,
    SIGNATURE_TYPE,
    ApiError,
    Delivery,
    now_rfc3339,
    seal,
)


class GatewayApi:
    """What the API shows and does, over the fake's state (``FakeWeChatPay``)."""

    mchid: str
    appid: str
    api_v3_key: str
    merchant_key: rsa.RSAPrivateKey
    merchant_serial: str
    certificates: list[x509.Certificate]
    orders: dict[str, dict[str, Any]]
    refunds: dict[str, dict[str, Any]]
    requests: list[dict[str, Any]]
    received: list[Delivery]
    refund_status_on_create: str
    _errors: list[tuple[int, str]]
    _lock: threading.RLock
    signed_headers: Callable[..., dict[str, str]]
    pay: Callable[..., Delivery]
    complete_refund: Callable[..., Delivery]

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
            or not OUT_NO.fullmatch(str(data.get("out_trade_no", "")))
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
            or not OUT_NO.fullmatch(str(data.get("out_refund_no", "")))
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
            "create_time": now_rfc3339(),
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
            "effective_time": certificate.not_valid_before_utc.astimezone(CHINA).isoformat(),
            "expire_time": certificate.not_valid_after_utc.astimezone(CHINA).isoformat(),
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


class Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer

    @property
    def fake(self) -> Any:
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
