"""The log of provider notifications (and query results) we accepted, one row per fact.

``(provider, event_id)`` is unique, and the row is written in the same transaction as what
the fact changes: a replayed or concurrent duplicate fails to insert and changes nothing.
``payload`` is what the adapter verified (decrypted, parsed), never a key or a signature.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProviderNotification(models.Model):
    provider = models.CharField(_("provider"), max_length=20)
    event_id = models.CharField(_("event id"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    payload = models.JSONField(_("verified payload"), default=dict, blank=True)
    result = models.CharField(_("result"), max_length=300, blank=True)
    attempt = models.ForeignKey(
        "payments.PaymentAttempt",
        verbose_name=_("payment attempt"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notifications",
    )

    class Meta:
        verbose_name = _("provider notification")
        verbose_name_plural = _("provider notifications")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "event_id"], name="provider_notification_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_id}"
