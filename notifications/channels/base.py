from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DeliveryResult:
    provider_message_id: str = ""
    # The SMS backend that took it ("aliyun", "tencent", "console", "file"); "" otherwise.
    provider: str = ""


class DeliveryError(Exception):
    permanent = False


class TransientDeliveryError(DeliveryError):
    """Try again later: 4xx SMTP replies, connection refused, timeouts, provider throttling."""


class PermanentDeliveryError(DeliveryError):
    """Will never succeed as it is: 5xx SMTP replies, invalid numbers, no address."""

    permanent = True
