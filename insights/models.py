"""Insights: the relationship log, customer feedback and complaints (with their replies,
status history and assignment), surveys, imports and stored propensity models."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.events import EventBase
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


# --- customer feedback and complaints (moved from portal: a domain model) ----------------


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
    # Response SLA: staff must give a first answer by this time (set from the severity,
    # or earlier by the member level's priority response: insights.feedback.feedback_deadline).
    sla_due_at = models.DateTimeField(_("answer due by"), editable=False)
    # Set when the customer's member level promised a faster answer than the severity
    # (loyalty's priority response privilege): the hours and the level, as applied when
    # the request was filed (the level may change later; the deadline does not).
    sla_priority_hours = models.PositiveSmallIntegerField(
        _("priority response (hours)"), null=True, blank=True, editable=False
    )
    sla_priority_level = models.ForeignKey(
        "loyalty.Level",
        verbose_name=_("priority response of member level"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
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


class FeedbackEvent(EventBase):
    """A feedback item's status history, written in the same transaction as the change
    (insights.feedback_states)."""

    SUBJECT_FIELD = "feedback"

    feedback = models.ForeignKey(
        Feedback, verbose_name=_("feedback"), on_delete=models.CASCADE, related_name="events"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta(EventBase.Meta):
        verbose_name = _("feedback event")
        verbose_name_plural = _("feedback events")

    def __str__(self) -> str:
        return f"{self.feedback_id} {self.from_status}→{self.to_status}"


class FeedbackAssignment(models.Model):
    """Who on the staff side works a feedback item."""

    feedback = models.OneToOneField(
        Feedback,
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


class SurveyKind(models.TextChoices):
    CSAT_RENEWAL = "csat_renewal", _("Satisfaction after a renewal (CSAT)")
    CSAT_CANCELLATION = "csat_cancellation", _("Satisfaction after a cancellation (CSAT)")
    NPS = "nps", _("Net Promoter Score (NPS)")


# CSAT is answered 1–5, NPS 0–10.
SURVEY_SCALES = {
    SurveyKind.CSAT_RENEWAL: (1, 5),
    SurveyKind.CSAT_CANCELLATION: (1, 5),
    SurveyKind.NPS: (0, 10),
}


class Survey(TimeStampedModel):
    """One survey sent to a customer and, once answered, its answer."""

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="surveys",
    )
    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("contract"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="surveys",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=SurveyKind.choices)
    # Makes sending idempotent: one survey per renewal / cancellation / NPS period.
    dedupe_key = models.CharField(max_length=200, unique=True)
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["-sent_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-answered_at"], name="survey_customer_answered")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.customer_id}"

    @property
    def scale(self) -> tuple[int, int]:
        return SURVEY_SCALES[SurveyKind(self.kind)]

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None


class ScoreMethod(models.TextChoices):
    RULES = "rules", _("Rule-based")
    MODEL = "model", _("Trained model")


class ContractScore(models.Model):
    """The latest renewal-propensity score of an active contract ending soon, stored by
    the nightly scoring sweep so that the at-risk list is one indexed query."""

    contract = models.OneToOneField(
        "contracts.Contract",
        verbose_name=_("contract"),
        on_delete=models.CASCADE,
        related_name="propensity",
    )
    score = models.PositiveSmallIntegerField(_("renewal propensity (0–100)"))
    # annualised value (default currency) × (1 − score / 100)
    value_at_risk = models.DecimalField(_("value at risk"), max_digits=20, decimal_places=2)
    factors = models.JSONField(_("top factors"), default=list)
    method = models.CharField(_("method"), max_length=10, choices=ScoreMethod.choices)
    model = models.ForeignKey(
        PropensityModel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)

    class Meta:
        verbose_name = _("propensity score")
        verbose_name_plural = _("propensity scores")
        indexes = [models.Index(fields=["-value_at_risk"], name="score_value_at_risk")]

    def __str__(self) -> str:
        return f"{self.contract_id}: {self.score}"


class ImportKind(models.TextChoices):
    CUSTOMERS = "customers", _("Customers")
    CONTRACTS = "contracts", _("Contracts")


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting for a worker")
    RUNNING = "running", _("Running")
    DONE = "done", _("Imported")
    CHECKED = "checked", _("Checked, nothing written (dry run)")
    FAILED = "failed", _("Not imported: see the errors")


class ImportJob(TimeStampedModel):
    """A CSV upload imported in the background (all or nothing), with its progress."""

    kind = models.CharField(_("kind"), max_length=20, choices=ImportKind.choices)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    dry_run = models.BooleanField(_("check only"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    # Progress, written by the worker on its own connection (visible while the import's
    # transaction is still open): phase "validate" then "write", done of total rows.
    phase = models.CharField(_("phase"), max_length=20, blank=True)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.filename}"

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.CHECKED, ImportStatus.FAILED)

    @property
    def percent(self) -> int:
        if self.is_finished:
            return 100
        if not self.total:
            return 0
        # Validation is the first half of the bar, writing the second.
        half = 50 * self.done // self.total
        return half if self.phase == "validate" else 50 + half


class ImportJobEvent(EventBase):
    """An import job's status history (claimed by a worker, then its outcome), written in
    the same transaction as the change (insights.import_states). The payload of an outcome
    carries its counts; the job row keeps every bad row."""

    SUBJECT_FIELD = "job"

    job = models.ForeignKey(
        ImportJob, verbose_name=_("import"), on_delete=models.CASCADE, related_name="events"
    )

    class Meta(EventBase.Meta):
        verbose_name = _("import event")
        verbose_name_plural = _("import events")

    def __str__(self) -> str:
        return f"{self.job_id} {self.from_status}→{self.to_status}"
