"""Refunds through the provider that took the payment (docs/payments.md)."""

from __future__ import annotations

from payments.providers.base import ProviderEvent


def refund_event_apply(provider_code: str, event: ProviderEvent) -> str:
    """Apply a verified refund event; returns a short result for the notification log."""
    return "ignored: refunds through the provider are not handled yet"
