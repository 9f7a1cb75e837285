"""Service levels agreed at renewal (docs/relations.md, "Service levels"): the indicators a
renewal quote carries, the values measured per period on the contract the quote became,
and the customers' compensation claims for a breached period, paid as credit notes.

The indicators hang off the quote; they apply to the successor contract of the quote's
renewal case (``quote.case.successor``) once it is in force. Claim status changes only in
``relations.claim_states``."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.events import EventBase
from core.models import TimeStampedModel


def number_text(value: Decimal) -> str:
    """99.900 → "99.9", 4.000 → "4": a measured figure without trailing zeros."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


class IndicatorKind(models.TextChoices):
    RESPONSE_HOURS = "response_hours", _("Response time (hours)")
    RESOLUTION_HOURS = "resolution_hours", _("Resolution time (hours)")
    UPTIME_PERCENT = "uptime_percent", _("Uptime (%)")
    CUSTOM = "custom", _("Other indicator")


class Direction(models.TextChoices):
    # A time is met when the measured value is at most the target; uptime when at least.
    AT_MOST = "at_most", _("at most the target")
    AT_LEAST = "at_least", _("at least the target")


# The built-in kinds decide their direction; only a custom indicator chooses one.
KIND_DIRECTION = {
    IndicatorKind.RESPONSE_HOURS: Direction.AT_MOST,
    IndicatorKind.RESOLUTION_HOURS: Direction.AT_MOST,
    IndicatorKind.UPTIME_PERCENT: Direction.AT_LEAST,
}


class MeasurePeriod(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")


class CompensationRule(models.TextChoices):
    PERCENT_OF_FEE = "percent_of_fee", _("Percent of the period's fee")
    FIXED_PER_BREACH = "fixed_per_breach", _("Fixed amount per breach")


class ServiceIndicator(TimeStampedModel):
    """One agreed indicator on a renewal quote, e.g. "uptime at least 99.9% per month; a
    breach credits 10% of the month's fee, at most 2,000 over the term"."""

    quote = models.ForeignKey(
        "renewals.Quote",
        verbose_name=_("quote"),
        on_delete=models.PROTECT,
        related_name="service_indicators",
    )
    kind = models.CharField(_("indicator"), max_length=20, choices=IndicatorKind.choices)
    # Required for a custom indicator ("Tickets answered on the same day"), else optional.
    name = models.CharField(_("name"), max_length=120, blank=True)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    direction = models.CharField(
        _("met when the value is"), max_length=10, choices=Direction.choices
    )
    target = models.DecimalField(_("target"), max_digits=12, decimal_places=3)
    period = models.CharField(_("measured"), max_length=10, choices=MeasurePeriod.choices)
    compensation_rule = models.CharField(
        _("compensation"), max_length=20, choices=CompensationRule.choices
    )
    # A percent (0-100] of the period's fee, or an amount in the contract's currency.
    compensation_value = models.DecimalField(
        _("percent or amount"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    # The most this indicator pays over the contract's whole term, all claims together.
    compensation_cap = models.DecimalField(
        _("cap over the term"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("service indicator")
        verbose_name_plural = _("service indicators")
        ordering = ["quote_id", "id"]
        constraints = [
            models.CheckConstraint(
                name="indicator_compensation_positive",
                condition=models.Q(compensation_value__gt=0, compensation_cap__gt=0),
            ),
            models.CheckConstraint(
                name="indicator_percent_at_most_100",
                condition=~models.Q(compensation_rule="percent_of_fee")
                | models.Q(compensation_value__lte=100),
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.name or str(self.get_kind_display())

    @property
    def unit_label(self) -> str:
        if self.kind == IndicatorKind.UPTIME_PERCENT:
            return "%"
        if self.kind in (IndicatorKind.RESPONSE_HOURS, IndicatorKind.RESOLUTION_HOURS):
            return str(_("h"))
        return self.unit

    @property
    def target_text(self) -> str:
        return number_text(self.target)

    def is_met(self, value: Decimal) -> bool:
        if self.direction == Direction.AT_LEAST:
            return value >= self.target
        return value <= self.target


class ServiceMeasurement(TimeStampedModel):
    """The value of one indicator on one contract for one period (a calendar month or
    quarter, cut to the contract's term). ``breached`` is fixed when it is recorded."""

    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("contract"),
        on_delete=models.PROTECT,
        related_name="service_measurements",
    )
    indicator = models.ForeignKey(
        ServiceIndicator,
        verbose_name=_("indicator"),
        on_delete=models.PROTECT,
        related_name="measurements",
    )
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    value = models.DecimalField(_("measured value"), max_digits=12, decimal_places=3)
    breached = models.BooleanField(_("breached"), default=False)
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("service measurement")
        verbose_name_plural = _("service measurements")
        ordering = ["contract_id", "indicator_id", "period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "indicator", "period_start"], name="measurement_once_per_period"
            ),
            models.CheckConstraint(
                name="measurement_period_ordered",
                condition=models.Q(period_end__gte=models.F("period_start")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.period_start:%Y-%m-%d} {self.value}"

    @property
    def value_text(self) -> str:
        return number_text(self.value)


class ClaimStatus(models.TextChoices):
    FILED = "filed", _("Filed")  # the customer asked; staff have not decided
    APPROVED = "approved", _("Approved")  # amount fixed; the credit note follows at once
    REJECTED = "rejected", _("Rejected")  # with the reason told to the customer
    # A context of its own: "Credited" of an invoice line reads differently in Chinese.
    CREDITED = "credited", pgettext_lazy("compensation claim", "Credited")  # credit note issued


class CompensationClaim(TimeStampedModel):
    """A customer's claim for one breached period: one per breach (the measurement)."""

    measurement = models.OneToOneField(
        ServiceMeasurement,
        verbose_name=_("breach"),
        on_delete=models.PROTECT,
        related_name="claim",
    )
    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("contract"),
        on_delete=models.PROTECT,
        related_name="compensation_claims",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="compensation_claims",
    )
    reason = models.TextField(_("reason"), max_length=2000)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ClaimStatus.choices,
        default=ClaimStatus.FILED,
        editable=False,
    )
    amount = models.DecimalField(
        _("amount"), max_digits=14, decimal_places=2, null=True, blank=True, editable=False
    )
    decision_note = models.CharField(_("decision note"), max_length=500, blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("filed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    credit_note = models.OneToOneField(
        "billing.CreditNote",
        verbose_name=_("credit note"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="compensation_claim",
    )

    class Meta:
        verbose_name = _("compensation claim")
        verbose_name_plural = _("compensation claims")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="claim_status_created")]

    def __str__(self) -> str:
        return f"{self.contract_id} {self.measurement_id} {self.status}"


class SlaClaimEvent(EventBase):
    """A claim's history: filed, approved, credited, rejected (relations.claim_states)."""

    SUBJECT_FIELD = "claim"

    claim = models.ForeignKey(
        CompensationClaim,
        verbose_name=_("claim"),
        on_delete=models.CASCADE,
        related_name="events",
    )

    # The class name stays short: EventBase names its index "<class>_unreacted" (30 max).
    class Meta(EventBase.Meta):
        verbose_name = _("compensation claim event")
        verbose_name_plural = _("compensation claim events")

    def __str__(self) -> str:
        return f"{self.claim_id} {self.from_status}→{self.to_status}"
