"""Saved payment methods for auto-renewal (mandates) and the charges made with them
(docs/payments.md).

A ``PaymentMandate`` is what a customer set up at a recurring provider (a card saved at
Stripe for off-session use, an Alipay recurring-deduction agreement). It holds only the
provider's ids (customer and payment-method ids, agreement number) and a display text
("Visa •••• 4242"), never card data. It becomes active only from a verified mandate event
(notification or query), never from the browser's return.

A ``MandateCharge`` is the claim that an auto-renewed invoice was (or is being) charged:
one per invoice, ever (unique), so two sweeps at once make one charge.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel


class MandateStatus(models.TextChoices):
    # The customer was sent to the provider; waiting for its verified answer.
    PENDING = "pending", _("Waiting for the provider")
    # The provider confirmed it: renewals are charged with it.
    ACTIVE = "active", _("Active")
    # The customer (or staff on their behalf) withdrew it.
    REVOKED = "revoked", _("Revoked")
    # The provider refused it, or the customer never finished.
    FAILED = "failed", _("Not set up")


class PaymentMandate(TimeStampedModel):
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="payment_mandates",
    )
    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("contract"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payment_mandates",
    )
    provider = models.CharField(_("provider"), max_length=20)
    # Only the provider's ids: what charge_off_session and mandate_cancel need.
    provider_data = models.JSONField(_("provider data"), default=dict, blank=True)
    display = models.CharField(_("payment method"), max_length=100, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=MandateStatus.choices,
        default=MandateStatus.PENDING,
        editable=False,
    )
    consent = models.ForeignKey(
        "contracts.AutoRenewConsent",
        verbose_name=_("consent given"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    revoke_consent = models.ForeignKey(
        "contracts.AutoRenewConsent",
        verbose_name=_("consent withdrawn"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    activated_at = models.DateTimeField(_("active since"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("set up by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("saved payment method")
        verbose_name_plural = _("saved payment methods")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["customer", "activated_at"],
                name="mandate_active_customer",
                condition=models.Q(status="active"),
            ),
        ]

    def __str__(self) -> str:
        return self.display or self.reference


class MandateCharge(models.Model):
    """The claim on one invoice's automatic charge (inserted before the provider is asked)."""

    invoice = models.OneToOneField(
        "billing.Invoice",
        verbose_name=_("invoice"),
        on_delete=models.PROTECT,
        related_name="mandate_charge",
    )
    mandate = models.ForeignKey(
        PaymentMandate,
        verbose_name=_("saved payment method"),
        on_delete=models.PROTECT,
        related_name="charges",
    )
    # The off-session payment attempt (its reference is the out_trade_no at the provider).
    attempt = models.OneToOneField(
        "payments.PaymentAttempt",
        verbose_name=_("payment attempt"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="mandate_charge",
    )
    claimed_at = models.DateTimeField(_("claimed at"), default=timezone.now)
    # The provider's immediate answer (succeeded, failed, pending) or "error".
    answer = models.CharField(_("provider's answer"), max_length=20, blank=True)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    # When the failure was handed to dunning (the pay-now reminder): once per charge.
    fallback_at = models.DateTimeField(_("handed to dunning at"), null=True, blank=True)

    class Meta:
        verbose_name = _("automatic charge")
        verbose_name_plural = _("automatic charges")
        ordering = ["-claimed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.invoice_id} {self.answer}"
