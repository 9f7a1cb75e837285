"""A fake Alibaba Cloud SMS API (Dysmsapi 2017-05-25, RPC style) checking the V3 request
signature (ACS3-HMAC-SHA256) as documented ("Request syntax and signature method V3"):

    CanonicalRequest = Method \\n CanonicalURI \\n CanonicalQueryString \\n
                       CanonicalHeaders \\n SignedHeaders \\n HashedRequestPayload
    StringToSign     = "ACS3-HMAC-SHA256" \\n hex(sha256(CanonicalRequest))
    Authorization    = ACS3-HMAC-SHA256 Credential=<AccessKeyId>,
                       SignedHeaders=<names>,Signature=hex(hmac_sha256(secret, StringToSign))

Query keys sorted, keys and values percent-encoded (RFC 3986, "~" kept); the signed
headers are host, content-type and every x-acs-* header, lower-cased and sorted; the
payload hash must equal ``x-acs-content-sha256``. SendSms and QuerySendDetails answer as
the API reference shows; a business refusal is HTTP 200 with its ``Code``. QuerySendDetails
finds an SMS by number, send date (China time, the provider's clock) and BizId.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import itertools
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote

from .http_fake import FakeServer, json_reply

CHINA = dt.timezone(dt.timedelta(hours=8))


@dataclass
class SentSms:
    biz_id: str
    phone: str
    sign_name: str
    template_code: str
    params: dict[str, Any]
    out_id: str
    sent_at: dt.datetime  # the provider's clock, China time


@dataclass
class AliyunSmsFake(FakeServer):
    access_key_id: str = ""
    access_key_secret: str = ""
    sent: list[SentSms] = field(default_factory=list)
    # Codes the next SendSms calls answer with (then "OK").
    next_codes: list[str] = field(default_factory=list)
    # biz_id -> (SendStatus 2 failed | 3 delivered, ErrCode), what QuerySendDetails says.
    reports: dict[str, tuple[int, str]] = field(default_factory=dict)
    # biz_id -> the number QuerySendDetails reports (default: the one it was sent to).
    report_phones: dict[str, str] = field(default_factory=dict)
    # Codes the next QuerySendDetails calls answer with (then "OK").
    query_codes: list[str] = field(default_factory=list)
    # How far the provider's clock is behind ours when it dates an SMS it takes.
    clock_lag: dt.timedelta = dt.timedelta(0)
    # (BizId, PhoneNumber, SendDate) of every QuerySendDetails answered.
    queries: list[tuple[str, str, str]] = field(default_factory=list)
    refused_signatures: int = 0
    _nonces: set[str] = field(default_factory=set)
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        super().__init__()

    # --- the signature --------------------------------------------------------------

    def _signature_ok(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> bool:
        match = re.fullmatch(
            r"ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]+)",
            headers.get("authorization", ""),
        )
        if not match or match.group(1) != self.access_key_id:
            return False
        signed = match.group(2).split(";")
        if "host" not in signed or not {h for h in headers if h.startswith("x-acs-")} <= set(
            signed
        ):
            return False
        payload_hash = hashlib.sha256(body).hexdigest()
        if headers.get("x-acs-content-sha256") != payload_hash:
            return False
        pairs = sorted(parse_qsl(query, keep_blank_values=True))
        canonical_query = "&".join(f"{quote(k, safe='~')}={quote(v, safe='~')}" for k, v in pairs)
        canonical_headers = "".join(f"{h}:{headers.get(h, '').strip()}\n" for h in signed)
        canonical_request = "\n".join(
            [
                method,
                path or "/",
                canonical_query,
                canonical_headers,
                ";".join(signed),
                payload_hash,
            ]
        )
        string_to_sign = (
            "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical_request.encode()).hexdigest()
        )
        expected = hmac.new(
            self.access_key_secret.encode(), string_to_sign.encode(), hashlib.sha256
        ).hexdigest()
        nonce = headers.get("x-acs-signature-nonce", "")
        if not nonce or nonce in self._nonces:  # a replayed request
            return False
        self._nonces.add(nonce)
        return hmac.compare_digest(expected, match.group(3))

    # --- the API --------------------------------------------------------------------

    def handle(self, method, path, query, headers, body):
        if not self._signature_ok(method, path, query, headers, body):
            self.refused_signatures += 1
            return json_reply(
                400,
                {
                    "RequestId": "fake-request",
                    "Code": "SignatureDoesNotMatch",
                    "Message": "Specified signature is not matched with our calculation.",
                },
            )
        params = dict(parse_qsl(query, keep_blank_values=True))
        if body:
            params.update(parse_qsl(body.decode(), keep_blank_values=True))
        action = headers.get("x-acs-action", "")
        if action == "SendSms":
            return json_reply(200, self._send_sms(params))
        if action == "QuerySendDetails":
            return json_reply(200, self._query_send_details(params))
        return json_reply(404, {"Code": "InvalidAction.NotFound", "Message": action})

    def _send_sms(self, params: dict[str, str]) -> dict[str, Any]:
        code = self.next_codes.pop(0) if self.next_codes else "OK"
        if code != "OK":
            return {"RequestId": "fake-request", "Code": code, "Message": f"fake {code}"}
        biz_id = f"{next(self._ids):06d}^0"
        self.sent.append(
            SentSms(
                biz_id=biz_id,
                phone=params["PhoneNumbers"],
                sign_name=params["SignName"],
                template_code=params["TemplateCode"],
                params=json.loads(params.get("TemplateParam") or "{}"),
                out_id=params.get("OutId", ""),
                sent_at=dt.datetime.now(CHINA) - self.clock_lag,
            )
        )
        return {"RequestId": "fake-request", "Code": "OK", "Message": "OK", "BizId": biz_id}

    def _query_send_details(self, params: dict[str, str]) -> dict[str, Any]:
        code = self.query_codes.pop(0) if self.query_codes else "OK"
        if code != "OK":
            return {"RequestId": "fake-request", "Code": code, "Message": f"fake {code}"}
        asked = (params.get("BizId", ""), params["PhoneNumber"], params["SendDate"])
        self.queries.append(asked)
        details = []
        for sms in self.sent:
            if (
                (asked[0] and sms.biz_id != asked[0])
                or not sms.phone.endswith(asked[1])
                or sms.sent_at.strftime("%Y%m%d") != asked[2]
            ):
                continue
            status, err = self.reports.get(sms.biz_id, (1, ""))
            details.append(
                {
                    "PhoneNum": self.report_phones.get(sms.biz_id, asked[1]),
                    "SendStatus": status,
                    "ErrCode": err,
                    "TemplateCode": sms.template_code,
                    "Content": "",
                    "SendDate": sms.sent_at.strftime("%Y-%m-%d %H:%M:%S"),
                    "ReceiveDate": (sms.sent_at + dt.timedelta(seconds=5)).strftime(
                        "%Y-%m-%d %H:%M:%S"
                    )
                    if status != 1
                    else "",
                    "OutId": sms.out_id,
                }
            )
        return {
            "RequestId": "fake-request",
            "Code": "OK",
            "Message": "OK",
            "TotalCount": len(details),
            "SmsSendDetailDTOs": {"SmsSendDetailDTO": details},
        }

    # --- receipts -------------------------------------------------------------------

    def report(
        self, biz_id: str, *, delivered: bool, err_code: str = "", phone: str | None = None
    ) -> None:
        """The carrier's final status of an SMS, as QuerySendDetails will answer it;
        ``phone``: the number it names, if not the one the SMS was sent to."""
        self.reports[biz_id] = (3, "DELIVERED") if delivered else (2, err_code or "MK:0001")
        if phone is not None:
            self.report_phones[biz_id] = phone

    def asked(self) -> list[str]:
        """The BizIds QuerySendDetails was asked about, in order."""
        return [biz_id for biz_id, _, _ in self.queries]
