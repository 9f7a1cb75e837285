"""Alipay's settings and the signed-call client built from them.

``settings.PAYMENT_PROVIDERS["alipay"]`` holds the ``ALIPAY_*`` environment variables
without their prefix (config/settings/base.py); ``payments/providers/alipay.py`` lists them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from django.conf import settings

from .alipay_gateway import PRODUCTION_GATEWAY, AlipayGateway, key_read
from .base import ProviderError

logger = logging.getLogger("payments.providers.alipay")

MODES = ("page", "qr")
AGREEMENT_PRODUCTS = ("GENERAL_WITHHOLDING", "CYCLE_PAY_AUTH")


class AlipaySettings:
    """One Alipay app's settings; the gateway client is built once, on first use."""

    def __init__(self, config: Mapping[str, str] | None = None) -> None:
        self.config: Mapping[str, str] = (
            config if config is not None else settings.PAYMENT_PROVIDERS.get("alipay", {})
        )
        self._gateway: AlipayGateway | None = None

    @property
    def app_id(self) -> str:
        return self.config.get("APP_ID", "")

    @property
    def mode(self) -> str:
        return self.config.get("MODE", "page").lower()

    @property
    def agreement_product(self) -> str:
        return self.config.get("AGREEMENT_PRODUCT", "GENERAL_WITHHOLDING").upper()

    def _setting_int(self, name: str, default: int) -> int:
        try:
            return int(self.config.get(name, default))
        except ValueError:
            return default

    def gateway(self) -> AlipayGateway:
        """The signed-call client; ProviderError when a setting or key is missing or bad."""
        if self._gateway is None:
            missing = [
                name
                for name in ("APP_ID", "APP_PRIVATE_KEY_FILE", "PUBLIC_KEY_FILE")
                if not self.config.get(name)
            ]
            if missing:
                raise ProviderError(f"Alipay is not configured: {', '.join(missing)} missing")
            if self.mode not in MODES:
                raise ProviderError(f"Alipay MODE must be one of {', '.join(MODES)}")
            try:
                self._gateway = AlipayGateway(
                    app_id=self.app_id,
                    app_private_key=key_read(self.config["APP_PRIVATE_KEY_FILE"]),
                    alipay_public_key=key_read(self.config["PUBLIC_KEY_FILE"]),
                    gateway=self.config.get("GATEWAY", PRODUCTION_GATEWAY),
                    timeout=self._setting_int("HTTP_TIMEOUT", 15),
                )
            except (OSError, ValueError, IndexError, TypeError) as exc:
                # The exception names the file or the key format, never the key itself.
                raise ProviderError(
                    f"Alipay keys cannot be read ({type(exc).__name__})", code="not_configured"
                ) from None
        return self._gateway

    def is_configured(self) -> bool:
        try:
            self.gateway()
        except ProviderError as exc:
            if self.config:
                logger.warning("Alipay is hidden from customers: %s", exc)
            return False
        return True

    def is_recurring_configured(self) -> bool:
        """Auto-renewal by agreement is offered: payments work and the scene is set."""
        if not self.config.get("AGREEMENT_SIGN_SCENE"):
            return False
        if self.agreement_product not in AGREEMENT_PRODUCTS:
            return False
        return self.is_configured()
