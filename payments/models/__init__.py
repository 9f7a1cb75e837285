"""Online payment models, one module per concern (docs/payments.md)."""

from .attempts import (
    ATTEMPT_EVENT_LABELS,
    AttemptEvent,
    AttemptStatus,
    MismatchKind,
    PaymentAttempt,
)
from .mandates import MandateCharge, MandateStatus, PaymentMandate
from .notifications import ProviderNotification
from .refunds import ProviderRefund, RefundStatus

__all__ = [
    "ATTEMPT_EVENT_LABELS",
    "AttemptEvent",
    "AttemptStatus",
    "MismatchKind",
    "PaymentAttempt",
    "ProviderNotification",
    "MandateCharge",
    "MandateStatus",
    "PaymentMandate",
    "ProviderRefund",
    "RefundStatus",
]
