"""Refunds through the provider that took the payment (docs/payments.md).

A cancellation's credit note owes money back; when the original invoice was paid online
(WeChat Pay, Alipay, card) the money goes back the same way. One ``ProviderRefund`` per
provider request, keyed by our ``reference`` (the ``out_refund_no`` the provider echoes
back). It closes only from the provider's answer (its refund notification, a query, or an
immediate answer to the request), and billing's ``refund_record`` is written exactly once,
in the same transaction as the ``succeeded`` status.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel


class RefundStatus(models.TextChoices):
    # Created, and asked of the provider (or about to be: ``submitted_at`` is empty until
    # the provider accepted the request); waiting for its notification or a query.
    PENDING = "pending", _("Pending at the provider")
    # The provider said the money went back; billing's refund row is ``refund_payment``.
    SUCCEEDED = "succeeded", _("Refunded")
    # The provider refused or closed it: a staff task pays it out by hand.
    FAILED = "failed", _("Failed")


class ProviderRefund(TimeStampedModel):
    reference = models.CharField(_("refund reference"), max_length=64, unique=True)
    provider = models.CharField(_("provider"), max_length=20)
    payment = models.ForeignKey(
        "billing.Payment",
        verbose_name=_("original payment"),
        on_delete=models.PROTECT,
        related_name="provider_refunds",
    )
    credit_note = models.ForeignKey(
        "billing.CreditNote",
        verbose_name=_("credit note"),
        on_delete=models.PROTECT,
        related_name="provider_refunds",
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=RefundStatus.choices,
        default=RefundStatus.PENDING,
        editable=False,
    )
    # The provider's id of the refund (becomes the reference of billing's refund row).
    provider_refund_id = models.CharField(_("provider refund id"), max_length=100, blank=True)
    submitted_at = models.DateTimeField(_("sent to the provider"), null=True, blank=True)
    submit_attempts = models.PositiveSmallIntegerField(_("requests sent"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    refund_payment = models.OneToOneField(
        "billing.Payment",
        verbose_name=_("refund recorded"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="provider_refund",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("provider refund")
        verbose_name_plural = _("provider refunds")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="provider_refund_amount_gt_0"
            ),
        ]
        indexes = [
            # The refund sweep: what is still pending.
            models.Index(
                fields=["created_at"],
                name="provider_refund_pending",
                condition=models.Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return self.reference
