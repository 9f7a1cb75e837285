"""A fake Tencent Cloud SMS API (2021-01-11) checking the TC3-HMAC-SHA256 signature as
documented ("Signature v3"):

    CanonicalRequest = POST \\n / \\n <empty query> \\n content-type:…\\nhost:…\\n \\n
                       content-type;host \\n hex(sha256(payload))
    StringToSign     = TC3-HMAC-SHA256 \\n <X-TC-Timestamp> \\n <date>/sms/tc3_request \\n
                       hex(sha256(CanonicalRequest))
    SecretDate = HMAC("TC3" + SecretKey, date); SecretService = HMAC(SecretDate, "sms");
    SecretSigning = HMAC(SecretService, "tc3_request"); Signature = hex(HMAC(SecretSigning,
    StringToSign))

SendSms answers one ``SendStatus`` per number, its ``Code`` "Ok" or the refusal;
PullSmsSendStatus hands out each queued status once; errors come as ``Response.Error``.
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

from .http_fake import FakeServer, json_reply


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


@dataclass
class SentSms:
    serial_no: str
    phone: str
    sign_name: str
    template_id: str
    params: list[str]
    session_context: str


@dataclass
class QueuedStatus:
    serial_no: str
    phone: str  # +<country><number>
    delivered: bool
    description: str


@dataclass
class TencentSmsFake(FakeServer):
    secret_id: str = ""
    secret_key: str = ""
    sdk_app_id: str = ""
    sent: list[SentSms] = field(default_factory=list)
    next_codes: list[str] = field(default_factory=list)
    # Statuses queued for PullSmsSendStatus until pulled once.
    queue: list[QueuedStatus] = field(default_factory=list)
    # Error codes the next PullSmsSendStatus calls answer with (nothing is taken then).
    pull_errors: list[str] = field(default_factory=list)
    pulls: int = 0  # PullSmsSendStatus calls answered
    refused_signatures: int = 0
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        super().__init__()

    def _signature_ok(self, path: str, headers: dict[str, str], body: bytes) -> bool:
        match = re.fullmatch(
            r"TC3-HMAC-SHA256 Credential=([^/]+)/(\d{4}-\d{2}-\d{2})/sms/tc3_request, "
            r"SignedHeaders=content-type;host, Signature=([0-9a-f]{64})",
            headers.get("authorization", ""),
        )
        if not match or match.group(1) != self.secret_id:
            return False
        timestamp = headers.get("x-tc-timestamp", "")
        if not timestamp.isdigit():
            return False
        date = dt.datetime.fromtimestamp(int(timestamp), dt.UTC).strftime("%Y-%m-%d")
        if date != match.group(2):
            return False
        canonical_request = "\n".join(
            [
                "POST",
                path or "/",
                "",
                f"content-type:{headers.get('content-type', '')}\nhost:{headers.get('host', '')}\n",
                "content-type;host",
                hashlib.sha256(body).hexdigest(),
            ]
        )
        string_to_sign = "\n".join(
            [
                "TC3-HMAC-SHA256",
                timestamp,
                f"{date}/sms/tc3_request",
                hashlib.sha256(canonical_request.encode()).hexdigest(),
            ]
        )
        key = _hmac(_hmac(_hmac(("TC3" + self.secret_key).encode(), date), "sms"), "tc3_request")
        expected = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, match.group(3))

    @staticmethod
    def _error(code: str, message: str) -> tuple[int, dict[str, str], bytes]:
        return json_reply(
            200, {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": "fake"}}
        )

    def handle(self, method, path, query, headers, body):
        if method != "POST" or not self._signature_ok(path, headers, body):
            self.refused_signatures += 1
            return self._error(
                "AuthFailure.SignatureFailure", "The provided credentials could not be validated."
            )
        params = json.loads(body or b"{}")
        if params.get("SmsSdkAppId") != self.sdk_app_id:
            return self._error("FailedOperation.SmsSdkAppIdVerifyFail", "wrong SmsSdkAppId")
        action = headers.get("x-tc-action", "")
        if action == "SendSms":
            return json_reply(200, {"Response": self._send_sms(params)})
        if action == "PullSmsSendStatus":
            return json_reply(200, {"Response": self._pull(params)})
        return self._error("InvalidAction", action)

    def _send_sms(self, params: dict[str, Any]) -> dict[str, Any]:
        statuses = []
        for phone in params["PhoneNumberSet"]:
            code = self.next_codes.pop(0) if self.next_codes else "Ok"
            serial = f"2646:{next(self._ids):010d}" if code == "Ok" else ""
            if code == "Ok":
                self.sent.append(
                    SentSms(
                        serial_no=serial,
                        phone=phone,
                        sign_name=params["SignName"],
                        template_id=params["TemplateId"],
                        params=list(params.get("TemplateParamSet") or []),
                        session_context=params.get("SessionContext", ""),
                    )
                )
            statuses.append(
                {
                    "SerialNo": serial,
                    "PhoneNumber": phone,
                    "Fee": 1 if code == "Ok" else 0,
                    "SessionContext": params.get("SessionContext", ""),
                    "Code": code,
                    "Message": "send success" if code == "Ok" else f"fake {code}",
                    "IsoCode": "CN",
                }
            )
        return {"SendStatusSet": statuses, "RequestId": "fake"}

    def _pull(self, params: dict[str, Any]) -> dict[str, Any]:
        if self.pull_errors:
            code = self.pull_errors.pop(0)
            return {"Error": {"Code": code, "Message": f"fake {code}"}, "RequestId": "fake"}
        self.pulls += 1
        limit = min(int(params.get("Limit") or 100), 100)
        taken, self.queue = self.queue[:limit], self.queue[limit:]
        out = []
        for status in taken:
            sms = next((s for s in self.sent if s.serial_no == status.serial_no), None)
            out.append(
                {
                    "UserReceiveTime": 1780279205,
                    "CountryCode": "86",
                    "SubscriberNumber": status.phone[-11:],
                    "PhoneNumber": status.phone,
                    "SerialNo": status.serial_no,
                    "ReportStatus": "SUCCESS" if status.delivered else "FAIL",
                    "Description": status.description,
                    "SessionContext": sms.session_context if sms else "",
                }
            )
        return {"PullSmsSendStatusSet": out, "RequestId": "fake"}

    # --- receipts -------------------------------------------------------------------

    def report(
        self,
        serial: str,
        *,
        delivered: bool,
        description: str | None = None,
        phone: str | None = None,
    ) -> None:
        """Queue a status for PullSmsSendStatus; ``phone`` for another number than the SMS
        was sent to, or for a SerialNo this fake never sent (another system's SMS)."""
        if phone is None:
            phone = next(s.phone for s in self.sent if s.serial_no == serial)
        if description is None:
            description = "DELIVRD" if delivered else "MN:0001"
        self.queue.append(QueuedStatus(serial, phone, delivered, description))
