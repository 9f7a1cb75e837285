"""WeChat Pay API v3 adapter: Native (QR code) payment, refunds, their notifications.

Through the ``wechatpayv3`` SDK, which signs each request with the merchant's API private
key (``Authorization: WECHATPAY2-SHA256-RSA2048 ...``), verifies each answer against the
platform's certificate or public key, and verifies and decrypts notifications
(``Wechatpay-Timestamp/-Nonce/-Signature/-Serial`` headers; the ``resource`` sealed with
AEAD_AES_256_GCM under the merchant's APIv3 key). What the SDK does not check, this module
does: the notification's timestamp (5 minutes either way, as the documentation asks), the
merchant and app ids inside the resource, amounts in whole fen.

Settings: ``settings.PAYMENT_PROVIDERS["wechat_pay"]``, the ``WECHATPAY_*`` environment
variables without their prefix (docs/configuration.md, docs/payments.md):

- ``MCHID``, ``APPID``: merchant id and the app id bound to it;
- ``API_V3_KEY``: the 32-character APIv3 key (decrypts notifications);
- ``CERT_SERIAL_NO`` and ``PRIVATE_KEY_FILE``: the merchant API certificate's serial number
  and its private key (PEM, ``apiclient_key.pem``);
- the platform's key, one of: ``PUBLIC_KEY_ID`` and ``PUBLIC_KEY_FILE`` (WeChat Pay public
  key mode) or ``PLATFORM_CERT_DIR`` (a folder holding the platform certificates as PEM
  files; a certificate with a new serial is fetched from the gateway and saved there). With
  both, the public key verifies and a certificate serial is fetched (WeChat Pay's switch
  from certificates to the public key); with the public key alone, any other serial is
  refused without asking the gateway;
- optional ``API_BASE`` (default the production gateway; the tests' fake server) and
  ``ORDER_EXPIRY_MINUTES`` (how long a QR code can be paid, default 30).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from functools import cached_property
from typing import Any

import requests
from django.conf import settings
from django.utils import timezone
from wechatpayv3 import WeChatPay, WeChatPayType  # type: ignore[import-untyped]

from .base import Checkout, NotificationRejected, NotificationReply, ProviderError, ProviderEvent
from .wechat_pay_events import (
    CURRENCY,
    PAYMENT_EVENTS,
    REFUND_EVENTS,
    MalformedResource,
    payment_event,
    refund_event,
    yuan_to_fen,
)
from .wechat_pay_settings import (
    GATEWAY,
    ORDER_EXPIRY_MINUTES,
    order_minutes,
    public_key_mode,
    read_text,
    settings_problems,
)

logger = logging.getLogger(__name__)

SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
# A notification signed longer ago (or further ahead) than this is refused: a replayed
# capture cannot be fed to us later, and clocks may drift a little.
TIMESTAMP_TOLERANCE_SECONDS = 300
SIGNED_HEADERS = (
    "Wechatpay-Timestamp",
    "Wechatpay-Nonce",
    "Wechatpay-Signature",
    "Wechatpay-Serial",
    "Wechatpay-Signature-Type",
)
# Seconds to connect and to read an answer.
TIMEOUT = (5, 20)
# out_trade_no / out_refund_no: 6 to 32 characters of this set (API documentation).
_OUT_NO = re.compile(r"[A-Za-z0-9_\-|*]{6,32}")
_CHINA = dt.timezone(dt.timedelta(hours=8))


def _loads(text: str | bytes) -> Any:
    return json.loads(text) if text else {}


def _clip(text: str, limit: int) -> str:
    """At most ``limit`` UTF-8 bytes, cut on a character boundary."""
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def _fen(amount: Decimal) -> int:
    try:
        return yuan_to_fen(amount)
    except ValueError as exc:
        raise ProviderError(str(exc), code="INVALID_AMOUNT") from None


def _require_cny(currency: str) -> None:
    if currency != CURRENCY:
        raise ProviderError(f"WeChat Pay takes CNY only, not {currency}", code="CURRENCY")


def _require_out_no(value: str) -> None:
    if not _OUT_NO.fullmatch(value):
        raise ProviderError(f"not a WeChat Pay order or refund number: {value!r}", code="REF")


class WeChatPayProvider:
    """``PaymentProvider`` for WeChat Pay (Native QR code). No ``RecurringProvider``:
    auto-renewal does not charge WeChat Pay without the customer."""

    code = "wechat_pay"

    def __init__(self, config: Mapping[str, str] | None = None) -> None:
        if config is None:
            config = settings.PAYMENT_PROVIDERS.get(self.code, {})
        self._config: Mapping[str, str] = config

    # -- configuration ---------------------------------------------------------------------

    def config_problems(self) -> list[str]:
        """The settings (names, never values) that are missing or unusable."""
        return settings_problems(self._config)

    def is_configured(self) -> bool:
        return not self.config_problems()

    @cached_property
    def _client(self) -> Any:
        problems = self.config_problems()
        if problems:
            raise ProviderError(f"WeChat Pay settings incomplete: {', '.join(problems)}")
        config = self._config
        public_keys = public_key_mode(config)
        try:
            client = WeChatPay(
                wechatpay_type=WeChatPayType.NATIVE,
                mchid=config["MCHID"],
                private_key=read_text(config["PRIVATE_KEY_FILE"]),
                cert_serial_no=config["CERT_SERIAL_NO"],
                appid=config["APPID"],
                apiv3_key=config["API_V3_KEY"],
                cert_dir=config.get("PLATFORM_CERT_DIR") or None,
                timeout=TIMEOUT,
                public_key=read_text(config["PUBLIC_KEY_FILE"]) if public_keys else None,
                public_key_id=config.get("PUBLIC_KEY_ID") or None,
            )
        except Exception as exc:
            raise ProviderError(f"WeChat Pay client: {type(exc).__name__}: {exc}") from None
        # The SDK has no setting for its gateway. Its constructor has not called it: with the
        # public key it loads no certificate, without it it read them from PLATFORM_CERT_DIR
        # (config_problems() makes sure one is there).
        client._core._gate_way = (config.get("API_BASE") or GATEWAY).rstrip("/")
        return client

    # -- calling the API -------------------------------------------------------------------

    def _call(
        self, action: str, call: Callable[[], tuple[int, Any]], *, missing_ok: bool = False
    ) -> dict[str, Any] | None:
        """One SDK call: the verified JSON answer, None for a 404 when ``missing_ok``;
        ``ProviderError`` (transient for timeouts, network errors, 5xx and 429) otherwise."""
        try:
            status, text = call()
        except requests.RequestException as exc:
            raise ProviderError(
                f"WeChat Pay {action}: {type(exc).__name__}", transient=True, code="NETWORK"
            ) from None
        except ProviderError:
            raise
        except Exception as exc:  # the SDK raises a bare Exception, e.g. for a bad signature
            raise ProviderError(f"WeChat Pay {action}: {exc}"[:300], code="SDK") from None
        try:
            answer = _loads(text)
        except ValueError:
            answer = None
        if 200 <= status < 300:
            if not isinstance(answer, dict):
                raise ProviderError(f"WeChat Pay {action}: answer not JSON", code="MALFORMED")
            return answer
        if status == 404 and missing_ok:
            return None
        if not isinstance(answer, dict):  # e.g. a proxy's HTML error page
            answer = {}
        code = str(answer.get("code", "")) or str(status)
        message = f"WeChat Pay {action}: HTTP {status} {code} {answer.get('message', '')}"
        logger.warning("%s", message[:300])
        transient = status >= 500 or status == 429 or code in {"SYSTEM_ERROR", "FREQUENCY_LIMITED"}
        raise ProviderError(message[:300], transient=transient, code=code)

    def _merchant(self, data: Mapping[str, Any], *, appid: bool) -> None:
        """A verified message about another merchant (or app) is not about our orders."""
        if data.get("mchid") != self._config["MCHID"] or (
            appid and data.get("appid") != self._config["APPID"]
        ):
            raise MalformedResource("for another merchant or app")

    # -- PaymentProvider -------------------------------------------------------------------

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
        """A Native order: its ``code_url`` is what the customer's WeChat scans. The QR code
        lapses at ``time_expire``; WeChat Pay has no return page, the portal polls."""
        _require_cny(currency)
        _require_out_no(reference)
        total = _fen(amount)
        expires_at = timezone.now().replace(microsecond=0) + dt.timedelta(
            minutes=order_minutes(self._config) or ORDER_EXPIRY_MINUTES
        )
        answer = self._call(
            "native order",
            lambda: self._client.pay(
                description=_clip(description, 127) or reference,
                out_trade_no=reference,
                amount={"total": total, "currency": CURRENCY},
                time_expire=expires_at.astimezone(_CHINA).isoformat(timespec="seconds"),
                notify_url=notify_url,
            ),
        )
        code_url = (answer or {}).get("code_url")
        if not isinstance(code_url, str) or not code_url:
            raise ProviderError("WeChat Pay native order: no code_url", code="MALFORMED")
        logger.info("WeChat Pay native order %s created", reference)
        return Checkout(provider_reference=reference, qr_code=code_url, expires_at=expires_at)

    def notification_verify(
        self, *, body: bytes, headers: Mapping[str, str]
    ) -> list[ProviderEvent]:
        """Verify (signature header set, timestamp, serial), decrypt, then read."""
        lowered = {name.lower(): value for name, value in headers.items()}
        signed = {name: lowered.get(name.lower(), "") for name in SIGNED_HEADERS}
        if not all(signed.values()):
            raise NotificationRejected("WeChat Pay notification without its signature headers")
        if signed["Wechatpay-Signature-Type"] != SIGNATURE_TYPE:
            raise NotificationRejected("WeChat Pay notification: unknown signature type")
        timestamp = signed["Wechatpay-Timestamp"]
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > (
            TIMESTAMP_TOLERANCE_SECONDS
        ):
            raise NotificationRejected("WeChat Pay notification: timestamp out of tolerance")
        if (
            self._config.get("PUBLIC_KEY_ID")
            and not self._config.get("PLATFORM_CERT_DIR")
            and signed["Wechatpay-Serial"] != self._config["PUBLIC_KEY_ID"]
        ):
            # Public key mode: another serial cannot verify; the SDK would ask the gateway.
            raise NotificationRejected("WeChat Pay notification: unknown key serial")
        try:
            data = self._client.callback(signed, body)
        except ProviderError as exc:
            raise NotificationRejected(f"WeChat Pay is not configured: {exc}") from None
        except Exception as exc:
            raise NotificationRejected(f"WeChat Pay notification: {type(exc).__name__}") from None
        if not isinstance(data, dict):
            raise NotificationRejected(
                "WeChat Pay notification: signature, serial or resource decryption failed"
            )
        try:
            event = self._notification_event(data)
        except MalformedResource as exc:
            raise NotificationRejected(f"WeChat Pay notification: {exc}") from None
        logger.info("WeChat Pay notification %s (%s) verified", event.event_id, data["event_type"])
        return [event]

    def _notification_event(self, data: Mapping[str, Any]) -> ProviderEvent:
        event_id, event_type, resource = data.get("id"), data.get("event_type"), data["resource"]
        if not (isinstance(event_id, str) and event_id and isinstance(event_type, str)):
            raise MalformedResource("no id or event_type")
        if not isinstance(resource, dict):
            raise MalformedResource("resource is not an object")
        if event_type in PAYMENT_EVENTS:
            self._merchant(resource, appid=True)
            return payment_event(
                event_id=event_id, transaction=resource, outcome=PAYMENT_EVENTS[event_type]
            )
        if event_type in REFUND_EVENTS:
            self._merchant(resource, appid=False)
            return refund_event(
                event_id=event_id, refund=resource, outcome=REFUND_EVENTS[event_type]
            )
        return ProviderEvent(
            event_id=event_id, kind="ignored", reference="", outcome="pending", detail=event_type
        )

    def notification_reply(self, *, accepted: bool) -> NotificationReply:
        """200/204 without a body is success; a failure is a 4xx/5xx with
        ``{"code": "FAIL", "message": ...}``, and WeChat Pay notifies again later."""
        if accepted:
            return NotificationReply(status=204, content_type="text/plain", body=b"")
        body = json.dumps({"code": "FAIL", "message": "失败"}, ensure_ascii=False)
        return NotificationReply(
            status=500, content_type="application/json; charset=utf-8", body=body.encode()
        )

    def payment_query(
        self, *, reference: str, provider_reference: str = ""
    ) -> ProviderEvent | None:
        _require_out_no(reference)
        answer = self._call(
            "order query", lambda: self._client.query(out_trade_no=reference), missing_ok=True
        )
        if answer is None:
            return None
        try:
            self._merchant(answer, appid=False)
            event = payment_event(transaction=answer)
        except MalformedResource as exc:
            raise ProviderError(f"WeChat Pay order query: {exc}", code="MALFORMED") from None
        if event.reference != reference:
            raise ProviderError("WeChat Pay order query: another order", code="MALFORMED")
        return event

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
        _require_cny(currency)
        _require_out_no(refund_reference)
        refund, paid = _fen(amount), _fen(total)
        if refund > paid:
            raise ProviderError("WeChat Pay refund above the payment", code="INVALID_AMOUNT")
        answer = self._call(
            "refund",
            lambda: self._client.refund(
                out_refund_no=refund_reference,
                amount={"refund": refund, "total": paid, "currency": CURRENCY},
                transaction_id=transaction_id or None,
                out_trade_no=None if transaction_id else payment_reference,
                reason=_clip(reason, 80) or None,
                notify_url=notify_url or None,
            ),
        )
        event = self._refund(answer or {}, "refund")
        logger.info("WeChat Pay refund %s: %s", refund_reference, event.outcome)
        return event

    def refund_query(
        self, *, refund_reference: str, payment_reference: str
    ) -> ProviderEvent | None:
        _require_out_no(refund_reference)
        answer = self._call(
            "refund query",
            lambda: self._client.query_refund(out_refund_no=refund_reference),
            missing_ok=True,
        )
        return None if answer is None else self._refund(answer, "refund query")

    @staticmethod
    def _refund(answer: Mapping[str, Any], action: str) -> ProviderEvent:
        try:
            return refund_event(refund=answer)
        except MalformedResource as exc:
            raise ProviderError(f"WeChat Pay {action}: {exc}", code="MALFORMED") from None
