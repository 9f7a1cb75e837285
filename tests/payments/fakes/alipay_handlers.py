"""The fake Alipay gateway's HTTP side and its methods (see tests/payments/fakes/alipay.py).

``/gateway.do`` takes the signed request (query string, or a form POST), checks it, and
either answers signed JSON or, for the page methods, the cashier / signing page. The pages'
buttons POST to ``/confirm``. ``/qr/<token>`` is what the QR code of a precreated trade
opens. ``/sink`` records a notification and answers ``success``.
"""

from __future__ import annotations

import html
import json
import uuid
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from . import alipay_protocol as protocol
from .alipay_methods import agreement_request, failure, trade_create
from .alipay_state import SELLER_ID, Trade

PAGE_METHODS = ("alipay.trade.page.pay", "alipay.user.agreement.page.sign")
COMMON = ("app_id", "method", "charset", "sign_type", "sign", "timestamp", "version")


class GatewayHandler(BaseHTTPRequestHandler):
    server_version = "FakeAlipay/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # the test output stays clean
        pass

    @property
    def fake(self) -> Any:
        return self.server.fake  # type: ignore[attr-defined]

    def _send(self, status: int, body: bytes, content_type: str, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _form(self) -> list[tuple[str, str]]:
        length = int(self.headers.get("Content-Length") or 0)
        return parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path == "/gateway.do":
            self._gateway(parse_qsl(url.query, keep_blank_values=True))
        elif url.path.startswith("/qr/"):
            self._page(url.path.removeprefix("/qr/"))
        else:
            self._send(404, b"not found", "text/plain")

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        if url.path == "/gateway.do":
            self._gateway(parse_qsl(url.query, keep_blank_values=True) + self._form())
        elif url.path == "/confirm":
            self._confirm(dict(self._form()).get("token", ""))
        elif url.path == "/sink":
            with self.fake.lock:
                self.fake.sink.append(dict(self._form()))
            self._send(200, b"success", "text/plain")
        else:
            self._send(404, b"not found", "text/plain")

    # -- the gateway --------------------------------------------------------------------

    def _gateway(self, pairs: list[tuple[str, str]]) -> None:
        fake = self.fake
        with fake.lock:
            status = fake.fail_statuses.pop(0) if fake.fail_statuses else 0
        if status:
            self._send(status, b"<html><body>Service unavailable</body></html>", "text/html")
            return
        params = dict(pairs)
        method = params.get("method", "")
        problem = self._authenticate(params, duplicate=len(params) != len(pairs))
        if problem is not None:
            self._send(200, protocol.error_body(problem), "application/json;charset=utf-8")
            return
        try:
            biz = json.loads(params.get("biz_content") or "{}")
        except ValueError:
            biz = None
        if not isinstance(biz, dict):
            answer = failure("isv.invalid-biz-content", "biz_content is not JSON", "40002")
        else:
            with fake.lock:
                fake.requests.append(params)
            if method in PAGE_METHODS:
                self._page_start(method, biz, params)
                return
            answer = fake.answer(method, biz, params)
        body = protocol.answer_body(method, answer, fake.alipay_key)
        self._send(200, body, "application/json;charset=utf-8")

    def _authenticate(self, params: Mapping[str, str], *, duplicate: bool) -> dict[str, Any] | None:
        missing = [name for name in COMMON if not params.get(name)]
        if duplicate or missing:
            return failure(f"isv.missing-{(missing or ['param'])[0]}", "missing", "40001")
        if params["app_id"] != self.fake.app_id:
            return failure("isv.invalid-app-id", "invalid app_id", "40002")
        if params["sign_type"] != "RSA2" or params["charset"].lower() != "utf-8":
            return failure("isv.invalid-signature-type", "RSA2, utf-8 only", "40002")
        if not protocol.request_valid(params, self.fake.app_key):
            return failure("isv.invalid-signature", "signature check failed", "40002")
        return None

    # -- the pages ----------------------------------------------------------------------

    def _page_start(self, method: str, biz: dict[str, Any], params: Mapping[str, str]) -> None:
        fake = self.fake
        token = uuid.uuid4().hex
        with fake.lock:
            if method == "alipay.trade.page.pay":
                answer = trade_create(fake, biz, params, "FAST_INSTANT_TRADE_PAY")
                key = ("trade", biz.get("out_trade_no", ""))
            else:
                answer = agreement_request(fake, biz, params)
                key = ("agreement", biz.get("external_agreement_no", ""))
            if answer["code"] != "10000":
                self._send(400, f"Error: {answer['sub_code']}".encode(), "text/plain")
                return
            fake.pages[token] = key
        self._page(token)

    def _page(self, token: str) -> None:
        fake = self.fake
        with fake.lock:
            kind, key = fake.pages.get(token, ("", ""))
            if kind == "trade":
                trade = fake.trades[key]
                title, button = "Alipay cashier (fake)", "Pay"
                what = f"{html.escape(trade.subject)}: ¥{trade.total_amount:.2f}"
            elif kind == "agreement":
                title, button = "Alipay agreement (fake)", "Sign"
                what = f"Recurring deduction agreement {html.escape(key)}"
            else:
                self._send(404, b"unknown page", "text/plain")
                return
        page = (
            f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            f"</head><body><main><h1>{title}</h1><p>{what}</p>"
            f'<form method="post" action="/confirm"><input type="hidden" name="token" '
            f'value="{token}"><button type="submit">{button}</button></form></main></body></html>'
        )
        self._send(200, page.encode(), "text/html; charset=utf-8")

    def _confirm(self, token: str) -> None:
        fake = self.fake
        with fake.lock:
            kind, key = fake.pages.get(token, ("", ""))
        if kind == "trade":
            if fake.trades[key].trade_status == "WAIT_BUYER_PAY":  # not on a second click
                fake.pay(key)
            trade = fake.trades[key]
            target, back = trade.return_url, page_return_params(fake, trade)
        elif kind == "agreement":
            fake.sign_agreement(key)
            target, back = fake.agreements[key].return_url, {}
        else:
            self._send(404, b"unknown page", "text/plain")
            return
        if not target:
            self._send(200, b"<!doctype html><p>Done. You may close this page.</p>", "text/html")
            return
        if back:
            target += ("&" if "?" in target else "?") + urlencode(back)
        self._send(303, b"", "text/plain", Location=target)


def page_return_params(fake: Any, trade: Trade) -> dict[str, str]:
    """The signed parameters Alipay appends to the return_url of a page payment (the app
    must not take them as proof of payment)."""
    params = {
        "charset": "utf-8",
        "out_trade_no": trade.out_trade_no,
        "method": "alipay.trade.page.pay.return",
        "total_amount": f"{trade.total_amount:.2f}",
        "trade_no": trade.trade_no,
        "auth_app_id": fake.app_id,
        "app_id": fake.app_id,
        "version": "1.0",
        "seller_id": SELLER_ID,
        "timestamp": "2027-01-15 10:00:05",
    }
    params["sign"] = protocol.rsa2_sign(
        protocol.signed_text(params, leave_out=("sign", "sign_type")), fake.alipay_key
    )
    params["sign_type"] = "RSA2"
    return params
