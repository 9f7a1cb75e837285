"""The WeChat Pay adapter's settings: which are required, and whether their files hold keys
and certificates the SDK can load (docs/configuration.md, ``WECHATPAY_*``).

``config`` is ``settings.PAYMENT_PROVIDERS["wechat_pay"]``: the environment variables
without their prefix. Problems are reported by name, never by value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from django.utils import timezone
from wechatpayv3.utils import (  # type: ignore[import-untyped]
    load_certificate,
    load_private_key,
    load_public_key,
)

GATEWAY = "https://api.mch.weixin.qq.com"
ORDER_EXPIRY_MINUTES = 30
REQUIRED = ("MCHID", "APPID", "API_V3_KEY", "CERT_SERIAL_NO", "PRIVATE_KEY_FILE")


def read_text(path: str) -> str | None:
    """The file's text; None when it cannot be read (absent, a folder, not UTF-8)."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _loads_with(loader: Callable[[str], Any], path: str) -> bool:
    text = read_text(path) if path else None
    if not text:
        return False
    try:
        return loader(text) is not None
    except Exception:  # the SDK's loaders raise a bare Exception
        return False


def platform_certificates(folder: str) -> list[Any]:
    """The platform certificates in ``folder`` valid now, as the SDK loads them. With none,
    the SDK would fetch them from the production gateway while it starts."""
    path = Path(folder)
    now = timezone.now()
    found = []
    for pem in sorted(path.glob("*.pem")) if folder and path.is_dir() else []:
        text = read_text(str(pem))
        certificate = load_certificate(text) if text else None
        if certificate and (
            certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc
        ):
            found.append(certificate)
    return found


def order_minutes(config: Mapping[str, str]) -> int | None:
    """How long a QR code can be paid (1 minute to a day); None when the setting is wrong."""
    value = config.get("ORDER_EXPIRY_MINUTES", "") or str(ORDER_EXPIRY_MINUTES)
    return int(value) if value.isdigit() and 1 <= int(value) <= 24 * 60 else None


def public_key_mode(config: Mapping[str, str]) -> bool:
    """Answers and notifications are verified with the WeChat Pay public key (not the
    platform certificates)."""
    return bool(config.get("PUBLIC_KEY_ID") or config.get("PUBLIC_KEY_FILE"))


def settings_problems(config: Mapping[str, str]) -> list[str]:
    """The settings that are missing or unusable; empty when the adapter can work."""
    problems = [name for name in REQUIRED if not config.get(name)]
    if config.get("API_V3_KEY") and len(config["API_V3_KEY"].encode()) != 32:
        problems.append("API_V3_KEY")
    if config.get("PRIVATE_KEY_FILE") and not _loads_with(
        load_private_key, config["PRIVATE_KEY_FILE"]
    ):
        problems.append("PRIVATE_KEY_FILE")
    if public_key_mode(config):
        if not config.get("PUBLIC_KEY_ID"):
            problems.append("PUBLIC_KEY_ID")
        if not _loads_with(load_public_key, config.get("PUBLIC_KEY_FILE", "")):
            problems.append("PUBLIC_KEY_FILE")
    elif config.get("PLATFORM_CERT_DIR"):
        if not platform_certificates(config["PLATFORM_CERT_DIR"]):
            problems.append("PLATFORM_CERT_DIR")
    else:
        problems.append("PUBLIC_KEY_FILE or PLATFORM_CERT_DIR")
    if order_minutes(config) is None:
        problems.append("ORDER_EXPIRY_MINUTES")
    return problems
