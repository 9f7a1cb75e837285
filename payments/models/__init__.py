"""Online payment models, one module per concern (docs/payments.md)."""

from .attempts import (
    ATTEMPT_EVENT_LABELS,
    AttemptEvent,
    AttemptStatus,
    MismatchKind,
    PaymentAttempt,
)
from .notifications import ProviderNotification

__all__ = [
    "ATTEMPT_EVENT_LABELS",
    "AttemptEvent",
    "AttemptStatus",
    "MismatchKind",
    "PaymentAttempt",
    "ProviderNotification",
]
