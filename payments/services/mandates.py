"""Saved payment methods (mandates) for auto-renewal, with consent (docs/payments.md)."""

from __future__ import annotations

from payments.providers.base import ProviderEvent


def mandate_event_apply(provider_code: str, event: ProviderEvent) -> str:
    """Apply a verified mandate event; returns a short result for the notification log."""
    return "ignored: saved payment methods are not handled yet"
