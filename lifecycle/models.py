"""Rows the cross-app processes keep about themselves.

``RetentionPurge``: one row per run of the retention purge (lifecycle/retention_purge.py,
docs/compliance.md "Evidence and retention"): what it deleted, counted, and for which
contracts. Never deleted by the purge itself: it is the record that the deletion happened.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RetentionPurge(models.Model):
    as_of = models.DateField(_("as of"))
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    contracts_examined = models.PositiveIntegerField(_("contracts examined"), default=0)
    contracts_purged = models.PositiveIntegerField(_("contracts purged"), default=0)
    consents_deleted = models.PositiveIntegerField(_("consent records deleted"), default=0)
    delivery_logs_deleted = models.PositiveIntegerField(_("delivery log rows deleted"), default=0)
    # Consents past their time that a saved payment method still points to (kept).
    consents_kept_for_mandates = models.PositiveIntegerField(
        _("consent records kept for a payment method"), default=0
    )
    # {"HT-2025-000001": {"consents": 2, "delivery_logs": 5, "kept_until": "2031-02-28"}, ...}
    detail = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("retention purge")
        verbose_name_plural = _("retention purges")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.as_of.isoformat()}: {self.consents_deleted} / {self.delivery_logs_deleted}"
