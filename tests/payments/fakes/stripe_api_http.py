"""The HTTP side of the fake Stripe API (tests/payments/fakes/stripe_api.py): Stripe's
form encoding (``line_items[0][price_data][currency]=cny``, ``expand[0]=payment_intent``),
Bearer authentication, JSON answers and error objects, and the hosted Checkout page a
browser (Playwright) can pay on."""

from __future__ import annotations

import html
import json
import re
import secrets
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

if TYPE_CHECKING:
    from .stripe_api import FakeStripe

KEY_RE = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")

# The test cards of the hosted page: (value, label, brand, last4, decline code).
TEST_CARDS = [
    ("visa-4242", "Visa 4242 4242 4242 4242", "visa", "4242", ""),
    ("mastercard-4444", "Mastercard 5555 5555 5555 4444", "mastercard", "4444", ""),
    ("unionpay-0005", "UnionPay 6200 0000 0000 0005", "unionpay", "0005", ""),
    ("declined-0002", "Visa 4000 0000 0000 0002 (declined)", "visa", "0002", "card_declined"),
]


class StripeApiError(Exception):
    """An answer in Stripe's error shape: ``{"error": {"type", "code", "message", ...}}``."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str = "",
        param: str = "",
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"type": type, "message": message, **extra}
        if code:
            self.body["code"] = code
        if param:
            self.body["param"] = param


def decode_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's bracket encoding back into nested dicts and lists."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        match = KEY_RE.match(key)
        if not match:
            raise StripeApiError(400, f"Invalid parameter name: {key}", code="parameter_unknown")
        path = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
        node = root
        for i, part in enumerate(path):
            last = i == len(path) - 1
            if part == "":  # name[]=value appends
                part = str(sum(1 for k in node if k.isdigit()))
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _lists(root)


def _lists(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {k: _lists(v) for k, v in node.items()}
    if converted and all(k.isdigit() for k in converted):
        return [converted[k] for k in sorted(converted, key=int)]
    return converted


def make_handler(fake: FakeStripe) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out as two writes

        def log_message(self, format: str, *args: Any) -> None:  # quiet test output
            pass

        def do_GET(self) -> None:
            self._dispatch("GET")

        def do_POST(self) -> None:
            self._dispatch("POST")

        def do_DELETE(self) -> None:
            self._dispatch("DELETE")

        def _dispatch(self, method: str) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8") if length else ""
            pairs = parse_qsl(url.query, keep_blank_values=True)
            if method == "POST":
                pairs += parse_qsl(body, keep_blank_values=True)
            if url.path.startswith("/c/pay/"):
                self._page(method, url.path.removeprefix("/c/pay/"), dict(pairs))
                return
            try:
                params = decode_form(pairs)
                self._authenticate()
                status, answer = fake.api(
                    method,
                    url.path,
                    params,
                    idempotency_key=self.headers.get("Idempotency-Key", ""),
                )
            except StripeApiError as err:
                status, answer = err.status, {"error": err.body}
            self._send(status, "application/json", json.dumps(answer).encode())

        def _authenticate(self) -> None:
            auth = self.headers.get("Authorization", "")
            if not secrets.compare_digest(auth.encode(), f"Bearer {fake.secret_key}".encode()):
                given = auth.removeprefix("Bearer ")
                raise StripeApiError(401, f"Invalid API Key provided: {given[:8]}****{given[-4:]}")

        def _page(self, method: str, session_id: str, form: dict[str, str]) -> None:
            session = fake.sessions.get(session_id)
            if session is None:
                self._send(404, "text/html; charset=utf-8", b"<p>Unknown session</p>")
                return
            error = ""
            if method == "POST" and session["status"] == "open":
                card = next((c for c in TEST_CARDS if c[0] == form.get("card")), TEST_CARDS[0])
                if card[4]:
                    error = "Your card was declined. Try another card."
                else:
                    fake.complete_session(session_id, brand=card[2], last4=card[3])
                    self._redirect(session["success_url"], session_id)
                    return
            if method == "POST" and session["status"] == "complete":
                self._redirect(session["success_url"], session_id)
                return
            page = checkout_page(fake, session, error)
            self._send(402 if error else 200, "text/html; charset=utf-8", page.encode())

        def _redirect(self, url: str, session_id: str) -> None:
            self.send_response(303)
            self.send_header("Location", url.replace("{CHECKOUT_SESSION_ID}", session_id))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _send(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Request-Id", "req_" + secrets.token_hex(7))
            self.end_headers()
            self.wfile.write(body)

    return Handler


def checkout_page(fake: FakeStripe, session: dict[str, Any], error: str) -> str:
    """Stripe's hosted page, reduced to what a test clicks: a card and Pay (or Save card)."""
    setup = session["mode"] == "setup"
    if session["status"] != "open":
        body = "<p>This Checkout Session is no longer active.</p>"
    else:
        if setup:
            what = "Save a card for future payments"
        else:
            amount = fake.major_units(session["amount_total"], session["currency"])
            what = f"Pay {amount} {session['currency'].upper()}"
        options = "".join(
            f'<option value="{value}">{html.escape(label)}</option>'
            for value, label, *_ in TEST_CARDS
        )
        alert = f'<p role="alert">{html.escape(error)}</p>' if error else ""
        body = (
            f"<h1>{html.escape(what)}</h1>{alert}"
            '<form method="post">'
            f'<label for="card">Test card</label> <select id="card" name="card">{options}</select>'
            f'<button type="submit">{"Save card" if setup else "Pay"}</button></form>'
            f'<p><a href="{html.escape(session["cancel_url"])}">Back</a></p>'
        )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>Stripe Checkout (test fake)</title></head>"
        f"<body><main>{body}</main></body></html>"
    )
