"""Delivery channels. Each turns one outbox row into a provider call and classifies failures:
TransientDeliveryError is retried with backoff, PermanentDeliveryError fails at once."""

from __future__ import annotations

from .base import DeliveryResult, PermanentDeliveryError, TransientDeliveryError
from .dispatch import channel_send

__all__ = ["DeliveryResult", "PermanentDeliveryError", "TransientDeliveryError", "channel_send"]
