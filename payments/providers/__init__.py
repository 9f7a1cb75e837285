"""The payment provider adapters, by ``PaymentMethod`` code (docs/payments.md)."""

from __future__ import annotations

from django.utils.module_loading import import_string

from .base import PaymentProvider

PROVIDER_CLASSES = {
    "wechat_pay": "payments.providers.wechat_pay.WeChatPayProvider",
    "alipay": "payments.providers.alipay.AlipayProvider",
    "card": "payments.providers.stripe_checkout.StripeProvider",
}


def provider_get(code: str) -> PaymentProvider:
    """The adapter for ``code``; ``KeyError`` for an unknown code."""
    return import_string(PROVIDER_CLASSES[code])()


def providers_configured() -> list[PaymentProvider]:
    """The adapters whose settings are complete, in the order customers see them."""
    found = []
    for code in PROVIDER_CLASSES:
        provider = provider_get(code)
        if provider.is_configured():
            found.append(provider)
    return found
