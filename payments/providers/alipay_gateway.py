"""Alipay's open platform gateway through ``python-alipay-sdk`` (import name ``alipay``).

The SDK signs every request with the app's private key (RSA2: SHA256withRSA over the
parameters sorted by name, ``sign`` left out) and checks the signature of every synchronous
answer with Alipay's public key. This module adds what the SDK leaves to its caller: the
gateway address (production, sandbox or the test suite's fake), keys read from files, the
notification check (``sign`` and ``sign_type`` left out of the signed string, empty values
too, as Alipay documents it) and one exception type for every failure.

Nothing here logs a key, a signature or a request body.
"""

from __future__ import annotations

import base64
import binascii
import http.client
import json
import urllib.error
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from alipay import AliPay  # type: ignore[import-untyped]
from alipay.exceptions import (  # type: ignore[import-untyped]
    AliPayException,
    AliPayValidationError,
)
from alipay.utils import AliPayConfig  # type: ignore[import-untyped]

from .base import NotificationRejected, ProviderError

PRODUCTION_GATEWAY = "https://openapi.alipay.com/gateway.do"

# Alipay's answer codes (the "code" of every synchronous answer).
CODE_SUCCESS = "10000"
CODE_IN_PROGRESS = "10003"  # trade.pay: waiting for the buyer or the bank
CODE_UNKNOWN = "20000"  # service unavailable: the outcome is unknown, query or retry
CODE_BUSINESS_FAILED = "40004"
# Sub-codes read by the adapter.
TRADE_NOT_EXIST = "ACQ.TRADE_NOT_EXIST"  # Alipay does not know the trade (yet)
TRADE_HAS_SUCCESS = "ACQ.TRADE_HAS_SUCCESS"  # trade.pay retried after it went through
SYSTEM_ERROR = "ACQ.SYSTEM_ERROR"  # Alipay's own failure: retry with the same number
AGREEMENT_NOT_EXIST = "USER_AGREEMENT_NOT_EXIST"

CURRENCY = "CNY"
CENT = Decimal("0.01")

# A notification is a short form; anything much bigger is not one.
_MAX_FORM_FIELDS = 200


def money(amount: Decimal) -> str:
    """Yuan as Alipay writes them: "199.00", at least 0.01, no fraction of a fen."""
    value = Decimal(amount).quantize(CENT)
    if value != amount or value <= 0:
        raise ProviderError(f"Alipay takes amounts of at least 0.01 in whole fen, not {amount}")
    return f"{value:.2f}"


def amount_parse(text: str) -> Decimal | None:
    """An amount from an answer ("199.00"), None when absent or not a number."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value.quantize(CENT) if value.is_finite() else None


def answer_check(method: str, answer: Mapping[str, Any]) -> None:
    """ProviderError unless the answer's code is 10000 (transient when Alipay says its
    service is unavailable or failed on its side)."""
    code = str(answer.get("code", ""))
    if code == CODE_SUCCESS:
        return
    sub_code = str(answer.get("sub_code", ""))
    raise ProviderError(
        f"Alipay {method}: {code} {sub_code}".rstrip(),
        transient=code == CODE_UNKNOWN or sub_code == SYSTEM_ERROR,
        code=sub_code or code,
    )


def key_read(path: str) -> bytes:
    """A key file's content for the SDK: PEM as it is, or the bare base64 text that
    Alipay's console and key tool show (decoded to DER, which the SDK also reads)."""
    content = Path(path).read_bytes()
    if b"-----BEGIN" in content:
        return content
    try:
        return base64.b64decode(b"".join(content.split()), validate=True)
    except binascii.Error as exc:
        raise ValueError(f"{Path(path).name} is neither PEM nor base64") from exc


class _SdkClient(AliPay):
    """The SDK's client pointed at a gateway of our choosing (it only knows production
    and sandbox)."""

    def __init__(self, *, gateway: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._gateway = gateway


class AlipayGateway:
    """Signed calls to one app's gateway, and the check of what Alipay sends back."""

    def __init__(
        self,
        *,
        app_id: str,
        app_private_key: bytes,
        alipay_public_key: bytes,
        gateway: str = PRODUCTION_GATEWAY,
        timeout: float = 15,
    ) -> None:
        self.app_id = app_id
        self.gateway = gateway
        # The SDK parses both keys here: a bad key fails now, not at the first payment.
        self._sdk = _SdkClient(
            gateway=gateway,
            appid=app_id,
            app_private_key_string=app_private_key,
            alipay_public_key_string=alipay_public_key,
            sign_type="RSA2",
            config=AliPayConfig(timeout=timeout),
        )

    def call(self, method: str, biz_content: Mapping[str, Any], **params: str) -> dict[str, Any]:
        """Call ``method`` and return its verified answer (the ``<method>_response`` object
        with ``code``, ``msg``, ``sub_code``...). Business failures come back as answers;
        transport failures, unsigned error answers and bad signatures raise ProviderError."""
        try:
            answer = self._sdk.server_api(method, dict(biz_content), **params)
        except urllib.error.HTTPError as exc:
            raise ProviderError(
                f"Alipay {method}: HTTP {exc.code}",
                transient=exc.code >= 500 or exc.code == 429,
                code=f"http_{exc.code}",
            ) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            reason = getattr(exc, "reason", exc)
            raise ProviderError(
                f"Alipay {method}: gateway unreachable ({type(reason).__name__})",
                transient=True,
                code="unreachable",
            ) from None
        except AliPayValidationError:
            raise ProviderError(
                f"Alipay {method}: the answer's signature does not match Alipay's public key",
                code="bad_signature",
            ) from None
        except AliPayException as exc:
            code, sub_code = _error_codes(str(exc))
            raise ProviderError(
                f"Alipay {method}: refused ({code} {sub_code})".rstrip(),
                transient=code == CODE_UNKNOWN,
                code=sub_code or code,
            ) from None
        except (ValueError, KeyError, TypeError, AttributeError):
            # Not JSON, or JSON without the answer object: a proxy page, a truncated body.
            raise ProviderError(
                f"Alipay {method}: the gateway's answer is not an Alipay answer",
                transient=True,
                code="bad_answer",
            ) from None
        if not isinstance(answer, dict):
            raise ProviderError(f"Alipay {method}: unexpected answer", code="bad_answer")
        return answer

    def page_url(self, method: str, biz_content: Mapping[str, Any], **params: str) -> str:
        """The signed gateway address a browser is sent to (page payment, agreement page)."""
        return f"{self.gateway}?{self._sdk.client_api(method, dict(biz_content), **params)}"

    def notification_form_verify(self, body: bytes) -> dict[str, str]:
        """Parse a notification's urlencoded form and check its RSA2 signature with Alipay's
        public key; return the fields only when it holds. ``NotificationRejected`` otherwise.

        Alipay signs every parameter of the notification but ``sign`` and ``sign_type``,
        sorted by name, joined as ``name=value`` with ``&``, values URL-decoded and empty ones
        left out."""
        try:
            text = body.decode("utf-8")
            pairs = parse_qsl(
                text,
                keep_blank_values=True,
                strict_parsing=True,
                max_num_fields=_MAX_FORM_FIELDS,
            )
        except (UnicodeDecodeError, ValueError):
            raise NotificationRejected("not a UTF-8 urlencoded form") from None
        form = dict(pairs)
        if len(form) != len(pairs):
            # Two values for one name: which one was signed is ambiguous.
            raise NotificationRejected("a field appears twice")
        signature = form.pop("sign", "")
        sign_type = form.pop("sign_type", "")
        if not signature:
            raise NotificationRejected("no sign")
        if sign_type != "RSA2":
            raise NotificationRejected("sign_type is not RSA2")
        signed = {name: value for name, value in form.items() if value != ""}
        try:
            valid = self._sdk.verify(signed, signature)
        except (ValueError, TypeError, binascii.Error, AliPayException):
            valid = False
        if not valid:
            raise NotificationRejected("the signature does not match Alipay's public key")
        form["sign_type"] = sign_type
        return form


def _error_codes(message: str) -> tuple[str, str]:
    """``code`` and ``sub_code`` from the SDK's exception text, which ends with the raw
    answer: ``AliPayException: code:40002, message:{"error_response": {...}}``."""
    raw = message.partition("message:")[2]
    try:
        answer = json.loads(raw)
    except ValueError:
        return "", ""
    if not isinstance(answer, dict):
        return "", ""
    for value in answer.values():
        if isinstance(value, dict) and "code" in value:
            return str(value.get("code", "")), str(value.get("sub_code", ""))
    return "", ""
