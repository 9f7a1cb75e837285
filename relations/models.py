"""Relationship maintenance models (docs/relations.md): contact cadences per tier and per
customer, the planned contacts a daily sweep generates from them (with their history), and
the escalations of overdue complaints to a team lead."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.events import EventBase
from core.models import TimeStampedModel
from customers.models import Tier


class ContactKind(models.TextChoices):
    CALL = "call", _("Call")
    VISIT = "visit", _("Visit")
    REVIEW = "review", _("Business review")


class CadenceUnit(models.TextChoices):
    DAYS = "days", _("days")
    # Calendar months: a contact on 31 January is next due on the last day of February.
    MONTHS = "months", _("months")


class ContactCadence(TimeStampedModel):
    """How often a customer is called, visited or reviewed: per tier, or per customer (a
    customer's row overrides its tier's row of the same kind; an inactive customer row
    switches that kind off for the customer)."""

    tier = models.CharField(_("tier"), max_length=1, choices=Tier.choices, blank=True)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="contact_cadences",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ContactKind.choices)
    every = models.PositiveSmallIntegerField(
        _("every"), validators=[MinValueValidator(1), MaxValueValidator(3650)]
    )
    unit = models.CharField(
        _("unit"), max_length=10, choices=CadenceUnit.choices, default=CadenceUnit.DAYS
    )
    # The planned contact (and its task) appears this many days before it is due.
    lead_days = models.PositiveSmallIntegerField(
        _("planned ahead (days)"), default=14, validators=[MaxValueValidator(365)]
    )
    estimate_minutes = models.PositiveIntegerField(_("estimate (minutes)"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("contact cadence")
        verbose_name_plural = _("contact cadences")
        ordering = ["tier", "customer_id", "kind"]
        constraints = [
            models.CheckConstraint(
                name="cadence_tier_xor_customer",
                condition=(
                    models.Q(customer__isnull=True) & ~models.Q(tier="")
                    | models.Q(customer__isnull=False, tier="")
                ),
            ),
            models.UniqueConstraint(
                fields=["tier", "kind"],
                condition=models.Q(customer__isnull=True),
                name="cadence_one_per_tier_kind",
            ),
            models.UniqueConstraint(
                fields=["customer", "kind"],
                condition=models.Q(customer__isnull=False),
                name="cadence_one_per_customer_kind",
            ),
        ]

    def __str__(self) -> str:
        who = self.get_tier_display() if self.tier else str(self.customer)
        return f"{who}: {self.get_kind_display()} / {self.every} {self.get_unit_display()}"


class PlannedContactStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")  # due (or coming up): nobody has logged it yet
    DONE = "done", _("Done")  # an interaction of its kind was logged
    SKIPPED = "skipped", _("Skipped")  # not needed this time; the next one counts from its date


class PlannedContact(models.Model):
    """One call, visit or review a customer is due, generated ahead of time by the daily
    sweep (relations.contact_plans). Status changes only in relations.contact_states."""

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="planned_contacts",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ContactKind.choices)
    due_date = models.DateField(_("due"))
    # From this date a logged interaction of the kind counts for it (due date - lead days).
    opens_on = models.DateField(_("counts from"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=PlannedContactStatus.choices,
        default=PlannedContactStatus.PLANNED,
        editable=False,
    )
    task = models.OneToOneField(
        "core.Task",
        verbose_name=_("task"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="planned_contact",
    )
    interaction = models.ForeignKey(
        "insights.Interaction",
        verbose_name=_("logged as"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("planned contact")
        verbose_name_plural = _("planned contacts")
        ordering = ["due_date", "id"]
        constraints = [
            # The sweep's dedupe: one row per due date, and one open row per kind, so two
            # sweeps (or one run twice) insert it once (ON CONFLICT DO NOTHING).
            models.UniqueConstraint(
                fields=["customer", "kind", "due_date"], name="planned_contact_once"
            ),
            models.UniqueConstraint(
                fields=["customer", "kind"],
                condition=models.Q(status="planned"),
                name="planned_contact_one_open",
            ),
        ]
        indexes = [
            models.Index(
                fields=["opens_on", "due_date"],
                condition=models.Q(status="planned"),
                name="planned_contact_open_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.get_kind_display()} {self.due_date:%Y-%m-%d}"


class PlannedContactEvent(EventBase):
    """A planned contact's status history (relations.contact_states)."""

    SUBJECT_FIELD = "planned_contact"

    planned_contact = models.ForeignKey(
        PlannedContact,
        verbose_name=_("planned contact"),
        on_delete=models.CASCADE,
        related_name="events",
    )

    class Meta(EventBase.Meta):
        verbose_name = _("planned contact event")
        verbose_name_plural = _("planned contact events")

    def __str__(self) -> str:
        return f"{self.planned_contact_id} {self.from_status}→{self.to_status}"


class ComplaintEscalation(models.Model):
    """A complaint that passed its answer deadline unanswered, escalated once to the team
    lead of whoever works it (the unique feedback is the sweep's dedupe)."""

    feedback = models.OneToOneField(
        "insights.Feedback",
        verbose_name=_("complaint"),
        on_delete=models.CASCADE,
        related_name="escalation",
    )
    escalated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("escalated to"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    task = models.OneToOneField(
        "core.Task",
        verbose_name=_("task"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaint_escalation",
    )
    at = models.DateTimeField(_("escalated at"), default=timezone.now)

    class Meta:
        verbose_name = _("complaint escalation")
        verbose_name_plural = _("complaint escalations")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.feedback_id} → {self.escalated_to_id}"


from .campaign_models import Campaign, CampaignEvent, CampaignRecipient, MarketingChoice  # noqa: E402, F401
from .segment_models import Segment  # noqa: E402, F401
from .service_level_models import (  # noqa: E402, F401
    ClaimStatus,
    CompensationClaim,
    CompensationRule,
    Direction,
    IndicatorKind,
    MeasurePeriod,
    ServiceIndicator,
    ServiceMeasurement,
    SlaClaimEvent,
)
