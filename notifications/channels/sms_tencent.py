"""Tencent Cloud SMS (API 2021-01-11) through the official SDK.

Settings: ``settings.SMS_PROVIDERS["tencent"]``, from the ``TENCENT_SMS_*`` environment
variables: ``SECRET_ID``, ``SECRET_KEY`` (a CAM key allowed ``sms:SendSms`` and
``sms:PullSmsSendStatus``), ``SDK_APP_ID`` (the SMS application, 1400…), ``REGION``
(default ``ap-guangzhou``), ``ENDPOINT`` (default ``sms.tencentcloudapi.com``), ``SCHEME``
(``https``; ``http`` only for the test fakes).

The SDK signs every call with TC3-HMAC-SHA256. A request-level refusal (signature, key,
parameters) is an exception; a per-number refusal is the ``Code`` of its ``SendStatus``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, ClassVar

from django.conf import settings
from tencentcloud.common import credential  # type: ignore[import-untyped]
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException  # type: ignore[import-untyped]
from tencentcloud.common.profile.client_profile import ClientProfile  # type: ignore[import-untyped]
from tencentcloud.common.profile.http_profile import HttpProfile  # type: ignore[import-untyped]
from tencentcloud.sms.v20210111 import models as tencent_models  # type: ignore[import-untyped]
from tencentcloud.sms.v20210111.sms_client import SmsClient  # type: ignore[import-untyped]

from .base import DeliveryError, PermanentDeliveryError, TransientDeliveryError
from .sms import SmsTemplateCall
from .sms_receipts import AwaitingSms, SmsReceipt, phone_digits, provider_time

# PullSmsSendStatus hands out at most 100 statuses a call.
PULL_LIMIT = 100
# How far back Tencent keeps delivery statuses to pull: PullSmsSendStatusByPhoneNumber
# documents 7 days; PullSmsSendStatus (a queue) documents no limit, so the same is assumed.
RECEIPT_DAYS = 7

# Worth trying again later: rate limits, balance, the provider's own faults and the
# network; every other code (bad number, blacklist, template, signature, key) is permanent.
TRANSIENT_PREFIXES = (
    "LimitExceeded.",  # PhoneNumberThirtySecondLimit, …OneHourLimit, …DailyLimit, …
    "RequestLimitExceeded",
    "InternalError",
    "ServerNetworkError",
    "ClientNetworkError",
)
TRANSIENT_CODES = frozenset({"FailedOperation.InsufficientBalanceInSmsPackage"})


def error_for_code(code: str, message: str) -> DeliveryError:
    text = f"Tencent {code}: {message}"
    if code in TRANSIENT_CODES or code.startswith(TRANSIENT_PREFIXES):
        return TransientDeliveryError(text)
    return PermanentDeliveryError(text)


def _conf() -> dict[str, str]:
    return dict(getattr(settings, "SMS_PROVIDERS", {}).get("tencent") or {})


def to_e164(phone: str) -> str:
    """Tencent wants +<country><number>; a bare 11-digit number is a mainland one."""
    if phone.strip().startswith("+"):
        return "+" + phone_digits(phone)
    digits = phone_digits(phone)
    return f"+86{digits}" if len(digits) == 11 else f"+{digits}"


class TencentSmsBackend:
    provider: ClassVar[str] = "tencent"
    uses_templates: ClassVar[bool] = True
    # Receipts come from a queue (each status handed out once, for any SMS of the
    # application), not from a question about one SMS: the poll drains it.
    pulls_queue: ClassVar[bool] = True
    pull_limit: ClassVar[int] = PULL_LIMIT

    def __init__(self, conf: dict[str, str] | None = None) -> None:
        conf = _conf() if conf is None else conf
        missing = [k for k in ("SECRET_ID", "SECRET_KEY", "SDK_APP_ID") if not conf.get(k)]
        if missing:
            raise PermanentDeliveryError(
                "Tencent SMS is not configured: set "
                + ", ".join(f"TENCENT_SMS_{k}" for k in missing)
            )
        self.app_id = conf["SDK_APP_ID"]
        profile = ClientProfile(
            signMethod="TC3-HMAC-SHA256",
            httpProfile=HttpProfile(
                protocol=conf.get("SCHEME") or "https",
                endpoint=conf.get("ENDPOINT") or "sms.tencentcloudapi.com",
                reqTimeout=int(conf.get("TIMEOUT_SECONDS") or 10),
            ),
        )
        self.client = SmsClient(
            credential.Credential(conf["SECRET_ID"], conf["SECRET_KEY"]),
            conf.get("REGION") or "ap-guangzhou",
            profile,
        )

    def _call(self, method: Any, request: Any) -> Any:
        try:
            return method(request)
        except TencentCloudSDKException as exc:
            raise error_for_code(str(exc.get_code()), str(exc.get_message())) from exc

    def send(self, *, to: str, body: str, message_id: int, template: SmsTemplateCall | None) -> str:
        if template is None:
            raise PermanentDeliveryError("Tencent SMS sends templates only")
        request = tencent_models.SendSmsRequest()
        request.PhoneNumberSet = [to_e164(to)]
        request.SmsSdkAppId = self.app_id
        request.TemplateId = template.template_code
        request.SignName = template.sign_name
        request.TemplateParamSet = [str(v) for v in template.params.values()]
        request.SessionContext = str(message_id)
        response = self._call(self.client.SendSms, request)
        statuses = response.SendStatusSet or []
        if not statuses:
            raise TransientDeliveryError("Tencent answered without a send status")
        status = statuses[0]
        if status.Code != "Ok":
            raise error_for_code(str(status.Code), str(status.Message))
        return str(status.SerialNo)

    @classmethod
    def receipts_since(cls, now: dt.datetime) -> dt.datetime:
        """The oldest send whose status may still come: an SMS sent before it stays "sent"
        (the poll stops pulling for it)."""
        return now - dt.timedelta(days=RECEIPT_DAYS)

    def receipts(self, pending: Iterable[AwaitingSms] = ()) -> list[SmsReceipt]:
        """One PullSmsSendStatus: up to ``pull_limit`` statuses of the application's queue,
        each handed out once, whatever SMS it is for (``pending`` is not needed: the caller
        matches every status to its own messages and pulls again while the queue is full)."""
        request = tencent_models.PullSmsSendStatusRequest()
        request.SmsSdkAppId = self.app_id
        request.Limit = self.pull_limit
        response = self._call(self.client.PullSmsSendStatus, request)
        out = []
        for item in response.PullSmsSendStatusSet or []:
            if item.ReportStatus not in ("SUCCESS", "FAIL"):
                continue
            out.append(
                SmsReceipt(
                    provider=self.provider,
                    provider_message_id=str(item.SerialNo or ""),
                    phone=str(item.PhoneNumber or item.SubscriberNumber or ""),
                    delivered=item.ReportStatus == "SUCCESS",
                    code=str(item.Description or ""),
                    description=str(item.Description or ""),
                    at=dt.datetime.fromtimestamp(item.UserReceiveTime, dt.UTC)
                    if isinstance(item.UserReceiveTime, int)
                    else provider_time(item.UserReceiveTime),
                    raw=item._serialize() if hasattr(item, "_serialize") else {},
                )
            )
        return out
