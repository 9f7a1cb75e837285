"""Insights: the relationship log, feedback assignment and stored propensity models."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel


class InteractionKind(models.TextChoices):
    CALL = "call", _("Call")
    VISIT = "visit", _("Visit")
    EMAIL = "email", _("Email")
    MEETING = "meeting", _("Meeting")
    NOTE = "note", _("Note")


class Interaction(TimeStampedModel):
    """One entry of the relationship log (回访) of a customer."""

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="interactions",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=InteractionKind.choices)
    at = models.DateTimeField(_("when"), default=timezone.now)
    summary = models.TextField(_("summary"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    next_follow_up = models.DateField(_("next follow-up"), null=True, blank=True)
    follow_up_task = models.ForeignKey(
        "core.Task",
        verbose_name=_("follow-up task"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["customer", "-at"], name="interaction_customer_at")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d}"


class FeedbackAssignment(models.Model):
    """Who on the staff side works a feedback item (portal.Feedback has no such field;
    kept here so the portal app's schema stays its own)."""

    feedback = models.OneToOneField(
        "portal.Feedback",
        verbose_name=_("feedback"),
        on_delete=models.CASCADE,
        related_name="assignment",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    assigned_at = models.DateTimeField(_("assigned at"), default=timezone.now)

    class Meta:
        verbose_name = _("feedback assignment")
        verbose_name_plural = _("feedback assignments")

    def __str__(self) -> str:
        return f"{self.feedback_id} → {self.assignee_id}"


class PropensityModel(models.Model):
    """A trained renewal-propensity model. The newest row is the one in use."""

    trained_at = models.DateTimeField(_("trained at"), default=timezone.now)
    algorithm = models.CharField(_("algorithm"), max_length=50)
    training_rows = models.PositiveIntegerField(_("training rows"))
    holdout_rows = models.PositiveIntegerField(_("holdout rows"))
    holdout_auc = models.FloatField(_("holdout AUC"))
    features = models.JSONField(_("features"), default=list)
    # joblib-pickled scikit-learn estimator. Only ever written by train_propensity;
    # never loaded from user input.
    blob = models.BinaryField(_("model"))

    class Meta:
        verbose_name = _("propensity model")
        verbose_name_plural = _("propensity models")
        ordering = ["-trained_at", "-id"]
        get_latest_by = "trained_at"

    def __str__(self) -> str:
        return f"{self.algorithm} {self.trained_at:%Y-%m-%d} AUC {self.holdout_auc:.3f}"
