"""Delivery receipts of the SMS providers, in one shape whatever the provider.

A receipt says whether the phone got an SMS the provider took (``SmsReceipt``). Receipts
arrive only by polling: ``services.receipts.sms_receipts_poll`` asks each provider
(``AliyunSmsBackend.receipts``: QuerySendDetails; ``TencentSmsBackend.receipts``:
PullSmsSendStatus) in a request we sign, over TLS. There is no push endpoint: neither
provider signs its pushes, and a public URL exempt from CSRF is allowed only for the
signed payment notifications.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

# Both providers write local times of mainland China in their receipts.
PROVIDER_TZ = ZoneInfo("Asia/Shanghai")


class AwaitingSms(NamedTuple):
    """An SMS a provider took that has no receipt yet: what the poll asks about."""

    provider_message_id: str  # Aliyun BizId, Tencent SerialNo
    phone: str  # Message.to_address
    sent_at: dt.datetime


@dataclass(frozen=True)
class SmsReceipt:
    provider: str
    provider_message_id: str  # Aliyun BizId, Tencent SerialNo
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
