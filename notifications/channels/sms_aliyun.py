"""Alibaba Cloud SMS (Dysmsapi 2017-05-25) through the official SDK.

Settings: ``settings.SMS_PROVIDERS["aliyun"]``, from the ``ALIYUN_SMS_*`` environment
variables: ``ACCESS_KEY_ID``, ``ACCESS_KEY_SECRET`` (a RAM user allowed ``dysms:SendSms``
and ``dysms:QuerySendDetails``), ``ENDPOINT`` (default ``dysmsapi.aliyuncs.com``),
``REGION`` (default ``cn-hangzhou``), ``PROTOCOL`` (``https``; ``http`` only for the test
fakes).

The SDK signs every call with ACS3-HMAC-SHA256. A business refusal comes back as HTTP 200
with a ``Code`` other than ``OK``; a refused signature or key as HTTP 4xx (an exception).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable
from typing import Any, ClassVar

from alibabacloud_dysmsapi20170525 import models as aliyun_models  # type: ignore[import-untyped]
from alibabacloud_dysmsapi20170525.client import Client  # type: ignore[import-untyped]
from alibabacloud_tea_openapi import models as openapi_models  # type: ignore[import-untyped]
from alibabacloud_tea_openapi.exceptions import (  # type: ignore[import-untyped]
    AlibabaCloudException,
    ServerException,
    ThrottlingException,
)
from django.conf import settings

from .base import DeliveryError, PermanentDeliveryError, TransientDeliveryError
from .sms import SmsTemplateCall
from .sms_receipts import PROVIDER_TZ, AwaitingSms, SmsReceipt, phone_digits, provider_time

logger = logging.getLogger("notifications.sms")

# QuerySendDetails answers for send dates (China time) of the last 30 days.
RECEIPT_DAYS = 30
# Longer than a SendSms call may take (connect and read timeouts, 5 s + 10 s by default).
SEND_DATE_SLACK = dt.timedelta(minutes=1)

# Codes worth trying again later (throttling, balance, the provider's own faults); every
# other isv.* code (bad number, template, signature, parameters, blacklist) is permanent.
TRANSIENT_CODES = frozenset(
    {
        "isv.BUSINESS_LIMIT_CONTROL",  # per-number minute/hour/day flow control
        "isv.DAY_LIMIT_CONTROL",
        "isv.AMOUNT_NOT_ENOUGH",  # balance: staff top up, the retry goes out
        "isv.OUT_OF_SERVICE",  # account suspended for arrears
        "ServiceUnavailable",
        "InternalError",
    }
)


def error_for_code(code: str, message: str) -> DeliveryError:
    text = f"Aliyun {code}: {message}"
    if code in TRANSIENT_CODES or code.startswith(("isp.", "Throttling")):
        return TransientDeliveryError(text)
    return PermanentDeliveryError(text)


def _conf() -> dict[str, str]:
    return dict(getattr(settings, "SMS_PROVIDERS", {}).get("aliyun") or {})


class AliyunSmsBackend:
    provider: ClassVar[str] = "aliyun"
    uses_templates: ClassVar[bool] = True

    def __init__(self, conf: dict[str, str] | None = None) -> None:
        conf = _conf() if conf is None else conf
        missing = [k for k in ("ACCESS_KEY_ID", "ACCESS_KEY_SECRET") if not conf.get(k)]
        if missing:
            raise PermanentDeliveryError(
                "Aliyun SMS is not configured: set " + ", ".join(f"ALIYUN_SMS_{k}" for k in missing)
            )
        self.client = Client(
            openapi_models.Config(
                access_key_id=conf["ACCESS_KEY_ID"],
                access_key_secret=conf["ACCESS_KEY_SECRET"],
                endpoint=conf.get("ENDPOINT") or "dysmsapi.aliyuncs.com",
                region_id=conf.get("REGION") or "cn-hangzhou",
                protocol=conf.get("PROTOCOL") or "https",
                connect_timeout=int(conf.get("CONNECT_TIMEOUT_MS") or 5000),
                read_timeout=int(conf.get("READ_TIMEOUT_MS") or 10000),
            )
        )

    def _call(self, method: Any, request: Any) -> Any:
        try:
            return method(request).body
        except ThrottlingException as exc:
            raise TransientDeliveryError(f"Aliyun {exc.code}: {exc.message}") from exc
        except ServerException as exc:
            raise TransientDeliveryError(f"Aliyun {exc.code}: {exc.message}") from exc
        except AlibabaCloudException as exc:  # 4xx: signature, key, permission, parameters
            raise error_for_code(str(exc.code), str(exc.message)) from exc
        except Exception as exc:  # noqa: BLE001 - the SDK wraps network errors its own way
            raise TransientDeliveryError(f"Aliyun: {exc.__class__.__name__}: {exc}") from exc

    def send(self, *, to: str, body: str, message_id: int, template: SmsTemplateCall | None) -> str:
        if template is None:
            raise PermanentDeliveryError("Aliyun SMS sends templates only")
        result = self._call(
            self.client.send_sms,
            aliyun_models.SendSmsRequest(
                phone_numbers=phone_digits(to),
                sign_name=template.sign_name,
                template_code=template.template_code,
                template_param=json.dumps(dict(template.params), ensure_ascii=False),
                out_id=str(message_id),
            ),
        )
        if result.code != "OK":
            raise error_for_code(str(result.code), str(result.message))
        if not result.biz_id:
            raise TransientDeliveryError("Aliyun accepted the SMS without a BizId")
        return str(result.biz_id)

    @classmethod
    def receipts_since(cls, now: dt.datetime) -> dt.datetime:
        """The oldest send the poll may still ask about: the first of the last 30 send
        dates, today included (counted conservatively: a date at the edge that the provider
        might refuse is not asked). An SMS sent before it stays "sent"."""
        first = now.astimezone(PROVIDER_TZ).date() - dt.timedelta(days=RECEIPT_DAYS - 1)
        return dt.datetime.combine(first, dt.time.min, tzinfo=PROVIDER_TZ)

    def receipts(self, pending: Iterable[AwaitingSms]) -> list[SmsReceipt]:
        """QuerySendDetails for each SMS still without a receipt (by number, send date and
        BizId); returns the final ones (SendStatus 3 delivered, 2 failed; 1 is still
        waiting). A refusal of the request itself (network, throttling, key, the provider's
        faults) raises and the caller leaves the whole batch for the next poll; a permanent
        business code about one query (its number or date) skips that SMS only, so one bad
        row cannot hold up the others run after run."""
        out = []
        for sms in pending:
            for send_date in send_dates(sms.sent_at):
                details = self._details(sms, send_date)
                if details is None or details:  # refused, or found on that date
                    break
            for detail in details or []:
                if detail.send_status not in (2, 3):
                    continue
                out.append(
                    SmsReceipt(
                        provider=self.provider,
                        provider_message_id=sms.provider_message_id,
                        phone=str(detail.phone_num or ""),
                        delivered=detail.send_status == 3,
                        code=str(detail.err_code or ""),
                        at=provider_time(detail.receive_date),
                        raw=detail.to_map(),
                    )
                )
        return out

    def _details(self, sms: AwaitingSms, send_date: str) -> list[Any] | None:
        """The SmsSendDetailDTOs of one SMS on one send date; None if this query was
        refused for a business reason (logged)."""
        result = self._call(
            self.client.query_send_details,
            aliyun_models.QuerySendDetailsRequest(
                phone_number=phone_digits(to_national(sms.phone)),
                biz_id=sms.provider_message_id,
                send_date=send_date,
                page_size=10,
                current_page=1,
            ),
        )
        if result.code != "OK":
            error = error_for_code(str(result.code), str(result.message))
            if isinstance(error, TransientDeliveryError):
                raise error
            logger.warning("Aliyun receipt of %s not asked: %s", sms.provider_message_id, error)
            return None
        dtos = result.sms_send_detail_dtos
        return list((dtos.sms_send_detail_dto if dtos else None) or [])


def send_dates(sent_at: dt.datetime) -> list[str]:
    """The send dates (yyyyMMdd, China time) to ask about, most likely first. We stamp
    ``sent_at`` once SendSms has answered, the provider dates the SMS when it took it, up to
    a request's time earlier: just after midnight, that is the day before."""
    ours = sent_at.astimezone(PROVIDER_TZ).date()
    theirs = (sent_at - SEND_DATE_SLACK).astimezone(PROVIDER_TZ).date()
    return [day.strftime("%Y%m%d") for day in dict.fromkeys((ours, theirs))]


def to_national(phone: str) -> str:
    """QuerySendDetails takes a mainland number without its country code."""
    digits = phone_digits(phone)
    return digits[2:] if digits.startswith("86") and len(digits) == 13 else digits
