"""Delivery receipts of the SMS providers, in one shape whatever the provider.

A receipt says whether the phone got an SMS the provider took (``SmsReceipt``); it comes
pushed to our receipt URL (``notifications.receipt_views``) or from the poll that queries
the provider (``AliyunSmsBackend.receipts`` / ``TencentSmsBackend.receipts``). Neither
provider signs its push, so a pushed receipt is only believed for a message we sent to that
provider, by its id and phone number (``services.receipts``), behind a secret URL.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

# Both providers write local times of mainland China in their receipts.
PROVIDER_TZ = ZoneInfo("Asia/Shanghai")


class ReceiptFormatError(ValueError):
    """The body is not the provider's receipt format."""


@dataclass(frozen=True)
class SmsReceipt:
    provider: str
    provider_message_id: str  # Aliyun BizId, Tencent SerialNo / sid
    phone: str
    delivered: bool
    code: str = ""  # the carrier's status, DELIVERED / DELIVRD / an error code
    description: str = ""
    at: dt.datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False)


def phone_digits(value: str) -> str:
    return re.sub(r"\D", "", value or "")


def phone_matches(sent_to: str, reported: str) -> bool:
    """Does a receipt's number name the one we sent to? Providers report it without the
    "+" and with or without the country code, so the digits reported must end ours."""
    ours, theirs = phone_digits(sent_to), phone_digits(reported)
    return len(theirs) >= 6 and (ours.endswith(theirs) or theirs.endswith(ours))


def provider_time(value: Any) -> dt.datetime | None:
    """'2026-06-01 10:00:03' (China time) as an aware datetime; None if unreadable."""
    try:
        naive = dt.datetime.strptime(str(value), "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    return naive.replace(tzinfo=PROVIDER_TZ)


def _json_list(body: bytes) -> list[dict[str, Any]]:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ReceiptFormatError("not JSON") from exc
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise ReceiptFormatError("not a list of receipts")
    return data


def aliyun_push_parse(body: bytes) -> list[SmsReceipt]:
    """Aliyun's "SmsReport" HTTP push: a JSON array of ``{phone_number, send_time,
    report_time, success, err_code, err_msg, sms_size, biz_id, out_id}``."""
    out = []
    for item in _json_list(body):
        biz_id, phone = str(item.get("biz_id") or ""), str(item.get("phone_number") or "")
        if not biz_id or not phone or not isinstance(item.get("success"), bool):
            raise ReceiptFormatError("a receipt lacks biz_id, phone_number or success")
        out.append(
            SmsReceipt(
                provider="aliyun",
                provider_message_id=biz_id,
                phone=phone,
                delivered=item["success"],
                code=str(item.get("err_code") or ""),
                description=str(item.get("err_msg") or ""),
                at=provider_time(item.get("report_time")),
                raw=item,
            )
        )
    return out


def tencent_push_parse(body: bytes) -> list[SmsReceipt]:
    """Tencent's status callback ("report_status"): a JSON array of ``{user_receive_time,
    nationcode, mobile, report_status: SUCCESS|FAIL, errmsg, description, sid}``."""
    out = []
    for item in _json_list(body):
        sid, mobile = str(item.get("sid") or ""), str(item.get("mobile") or "")
        status = item.get("report_status")
        if not sid or not mobile or status not in ("SUCCESS", "FAIL"):
            raise ReceiptFormatError("a receipt lacks sid, mobile or report_status")
        out.append(
            SmsReceipt(
                provider="tencent",
                provider_message_id=sid,
                phone=f"{item.get('nationcode') or ''}{mobile}",
                delivered=status == "SUCCESS",
                code=str(item.get("errmsg") or ""),
                description=str(item.get("description") or ""),
                at=provider_time(item.get("user_receive_time")),
                raw=item,
            )
        )
    return out


PUSH_PARSERS = {"aliyun": aliyun_push_parse, "tencent": tencent_push_parse}
# What each provider expects back when it took the push well (else it pushes again).
PUSH_ACK = {
    "aliyun": {"code": 0, "msg": "成功"},
    "tencent": {"result": 0, "errmsg": "OK"},
}
