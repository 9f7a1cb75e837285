"""Payment attempts: one try by a customer (or by auto-renewal, off-session) to pay one
invoice through one provider, and the attempt's timeline (docs/payments.md).

An attempt is our order at the provider: ``reference`` is the ``out_trade_no`` the provider
echoes back in its notifications and queries. Its status changes only in
``payments/attempt_states.py``.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from billing.models import PaymentMethod
from core.events import EventBase
from core.models import TimeStampedModel


class AttemptStatus(models.TextChoices):
    CREATED = "created", _("Starting")  # row written, the provider's order not made yet
    PENDING = "pending", _("Waiting for payment")  # order made: QR shown / customer sent away
    SUCCEEDED = "succeeded", _("Paid")  # the provider confirmed the money; recorded (final)
    REVIEW = "review", _("Received, being checked")  # money received in another currency
    FAILED = "failed", _("Failed")  # the provider refused, or the order could not be made
    EXPIRED = "expired", _("Expired")  # the order timed out or the provider closed it
    CANCELLED = "cancelled", _("Cancelled")  # replaced by a newer attempt for a new balance


class MismatchKind(models.TextChoices):
    NONE = "", _("None")
    UNDER = "under", _("Under-payment")  # recorded; the invoice stays open
    OVER = "over", _("Over-payment")  # recorded; the excess is the customer's credit
    CURRENCY = "currency", _("Currency mismatch")  # nothing recorded: a staff task


class PaymentAttempt(TimeStampedModel):
    invoice = models.ForeignKey(
        "billing.Invoice",
        verbose_name=_("invoice"),
        on_delete=models.PROTECT,
        related_name="payment_attempts",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="payment_attempts",
    )
    provider = models.CharField(_("provider"), max_length=20, choices=PaymentMethod.choices)
    # Our out_trade_no: at most 32 characters of [A-Za-z0-9_-] (WeChat Pay's limit).
    reference = models.CharField(_("reference"), max_length=32, unique=True, editable=False)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=AttemptStatus.choices,
        default=AttemptStatus.CREATED,
        editable=False,
    )
    off_session = models.BooleanField(_("charged without the customer"), default=False)
    provider_reference = models.CharField(_("provider's order"), max_length=255, blank=True)
    qr_code = models.TextField(_("QR code content"), blank=True)
    redirect_url = models.URLField(_("provider page"), max_length=2000, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    transaction_id = models.CharField(_("provider transaction"), max_length=100, blank=True)
    payment = models.ForeignKey(
        "billing.Payment",
        verbose_name=_("payment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="attempts",
    )
    mismatch_kind = models.CharField(
        _("mismatch"), max_length=10, choices=MismatchKind.choices, blank=True, default=""
    )
    amount_received = models.DecimalField(
        _("amount received"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    currency_received = models.CharField(_("currency received"), max_length=3, blank=True)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    # When the provider was last asked about this attempt (the polling page and the sweep
    # ask at most every few seconds).
    queried_at = models.DateTimeField(_("last query"), null=True, blank=True)

    class Meta:
        verbose_name = _("payment attempt")
        verbose_name_plural = _("payment attempts")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="attempt_amount_gt_0"),
        ]
        indexes = [
            # The sweep: attempts still waiting, oldest first.
            models.Index(
                fields=["created_at"],
                name="attempt_open_created",
                condition=models.Q(status__in=["created", "pending"]),
            ),
            # The staff list's "mismatches" filter.
            models.Index(
                fields=["created_at"],
                name="attempt_mismatch_created",
                condition=~models.Q(mismatch_kind=""),
            ),
            models.Index(fields=["invoice", "provider", "status"], name="attempt_invoice_open"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status in (AttemptStatus.CREATED, AttemptStatus.PENDING)

    @property
    def difference(self) -> Decimal | None:
        """Received minus expected, for an amount mismatch."""
        if self.amount_received is None:
            return None
        return self.amount_received - self.amount


ATTEMPT_EVENT_LABELS = {
    "started": _("Payment started"),
    "succeeded": _("Payment confirmed"),
    "failed": _("Payment failed"),
    "expired": _("Payment expired"),
    "cancelled": _("Payment cancelled"),
    "review": _("Payment received in another currency"),
    "mismatch": _("Amount differs from the invoice"),
}


class AttemptEvent(EventBase):
    """The attempt's timeline: every status change, and each mismatch found."""

    SUBJECT_FIELD = "attempt"

    attempt = models.ForeignKey(
        PaymentAttempt,
        verbose_name=_("payment attempt"),
        on_delete=models.PROTECT,
        related_name="events",
    )

    class Meta(EventBase.Meta):
        verbose_name = _("payment attempt event")
        verbose_name_plural = _("payment attempt events")
        indexes = [
            *EventBase.Meta.indexes,
            models.Index(fields=["attempt", "at"], name="attempt_event_attempt_at"),
        ]

    def __str__(self) -> str:
        return f"{self.attempt_id} {self.kind}"

    @property
    def label(self) -> str:
        return str(ATTEMPT_EVENT_LABELS.get(self.kind, self.kind))
