"""Portal data: customer feedback and complaints with their replies and status history.

Login needs no table: a magic link is single use because its signed value includes a
hash of the user's ``last_login`` (see ``portal.services``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel


class FeedbackCategory(models.TextChoices):
    QUESTION = "question", _("Question")
    COMPLAINT = "complaint", _("Complaint")
    BILLING = "billing", _("Billing or payment")
    SERVICE = "service", _("Service problem")
    SUGGESTION = "suggestion", _("Suggestion")
    OTHER = "other", _("Other")


class FeedbackSeverity(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical: service unusable")


class FeedbackStatus(models.TextChoices):
    OPEN = "open", _("Open")  # submitted, nobody has answered yet
    IN_PROGRESS = "in_progress", _("In progress")  # staff answered or are working on it
    RESOLVED = "resolved", _("Resolved")  # staff consider it solved; the customer may reopen
    CLOSED = "closed", _("Closed")  # final


class FeedbackChannel(models.TextChoices):
    PORTAL = "portal", _("Portal")
    STAFF = "staff", _("Recorded by staff")


class Feedback(TimeStampedModel):
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="feedback",
    )
    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("contract"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="feedback",
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    channel = models.CharField(
        _("channel"), max_length=20, choices=FeedbackChannel.choices, default=FeedbackChannel.PORTAL
    )
    category = models.CharField(_("category"), max_length=20, choices=FeedbackCategory.choices)
    severity = models.CharField(
        _("severity"),
        max_length=20,
        choices=FeedbackSeverity.choices,
        default=FeedbackSeverity.NORMAL,
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("description"))
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=FeedbackStatus.choices,
        default=FeedbackStatus.OPEN,
        editable=False,
    )
    # Response SLA: staff must give a first answer by this time (set from the severity).
    sla_due_at = models.DateTimeField(_("answer due by"), editable=False)
    first_response_at = models.DateTimeField(
        _("first answered at"), null=True, blank=True, editable=False
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback and complaints")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The staff queue: unanswered items by due time.
            models.Index(fields=["status", "sla_due_at"], name="feedback_status_due"),
            models.Index(fields=["customer", "created_at"], name="feedback_customer_created"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def reference(self) -> str:
        return f"FB-{self.pk:06d}" if self.pk else "FB-new"

    @property
    def is_overdue(self) -> bool:
        return (
            self.first_response_at is None
            and self.status == FeedbackStatus.OPEN
            and self.sla_due_at < timezone.now()
        )


class FeedbackReply(models.Model):
    feedback = models.ForeignKey(
        Feedback, verbose_name=_("feedback"), on_delete=models.CASCADE, related_name="replies"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    from_staff = models.BooleanField(_("from our team"), default=False)
    body = models.TextField(_("reply"))
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("reply")
        verbose_name_plural = _("replies")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.feedback_id} {self.created_at:%Y-%m-%d %H:%M}"


class FeedbackEvent(models.Model):
    """Audit trail of a feedback item's status, written in the same transaction as the change."""

    feedback = models.ForeignKey(
        Feedback, verbose_name=_("feedback"), on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    from_status = models.CharField(_("from"), max_length=20, blank=True)
    to_status = models.CharField(_("to"), max_length=20)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("feedback event")
        verbose_name_plural = _("feedback events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.feedback_id} {self.from_status}→{self.to_status}"
