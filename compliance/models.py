"""Compliance models (docs/compliance.md): automatic-renewal law as versioned data.

- ``Jurisdiction``: a place whose law applies ("CN", "US-CA", "FR", "EU"), with a parent
  whose rules apply too (every EU member state has the EU as parent; US-CA has US).
- ``RuleSet``: one version of a jurisdiction's rules, in force from ``effective_from`` to
  ``effective_to`` (both inclusive), each parameter a typed field, with its legal source.
- ``ContractRules``: the rule sets that applied to a contract when it was signed, kept so
  that a later edit of the rules (or a customer who moves) never rewrites a signed deal.

The reading and combining of rules is in compliance/rules.py (pure) and
compliance/selectors.py (database); this module holds the rows and their own checks.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel


class WindowAnchor(models.TextChoices):
    # The contract's last day (Contract.end_date); the renewal takes effect the day after.
    TERM_END = "term_end", _("the end of the term")
    # The last day on which the customer can still refuse the renewal: the term's last
    # day minus the contract's notice period (France, L215-1).
    REFUSAL_DEADLINE = "refusal_deadline", _("the deadline to refuse the renewal")


class WindowUnit(models.TextChoices):
    DAYS = "days", _("days")
    MONTHS = "months", _("months")


class DeliveryProof(models.TextChoices):
    """What shows that a notice reached the customer."""

    EMAIL_ACCEPTED = "email_accepted", _("e-mail accepted by the receiving server")
    SMS_RECEIPT = "sms_receipt", _("SMS with a delivery receipt")
    PORTAL_READ = "portal_read", _("portal message read")


ALL_PROOFS = [p.value for p in DeliveryProof]


def all_delivery_proofs() -> list[str]:
    return list(ALL_PROOFS)


class Jurisdiction(TimeStampedModel):
    code = models.CharField(
        _("code"),
        max_length=6,
        unique=True,
        help_text=_("ISO 3166-1 country (CN), ISO 3166-2 region (US-CA), or EU."),
    )
    name = models.CharField(_("name"), max_length=200)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text=_("Its rules apply too: the EU for a member state, US for a state."),
    )

    class Meta:
        verbose_name = _("jurisdiction")
        verbose_name_plural = _("jurisdictions")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        self.code = (self.code or "").strip().upper()
        # A parent chain must end: refuse a jurisdiction that is its own ancestor.
        seen = {self.pk} if self.pk else set()
        node = self.parent
        while node is not None:
            if node.pk in seen or node.code == self.code:
                raise ValidationError({"parent": _("A jurisdiction cannot be its own parent.")})
            seen.add(node.pk)
            node = node.parent


class RuleSet(TimeStampedModel):
    """One version of one jurisdiction's automatic-renewal rules.

    Every empty number means "no requirement". Dates are calendar dates in the
    customer's local calendar (docs/compliance.md, "Dates").
    """

    jurisdiction = models.ForeignKey(
        Jurisdiction,
        verbose_name=_("jurisdiction"),
        on_delete=models.PROTECT,
        related_name="rulesets",
    )
    version = models.PositiveIntegerField(_("version"))
    effective_from = models.DateField(_("in force from"))
    effective_to = models.DateField(
        _("in force until"),
        null=True,
        blank=True,
        help_text=_("The last day it applies (inclusive); empty: until replaced."),
    )
    # A law passed whose start is set by a later order (the UK's DMCC Act): the rule set
    # applies from this date, and not at all while "awaiting commencement" is ticked.
    commencement_date = models.DateField(
        _("commencement date"),
        null=True,
        blank=True,
        help_text=_("When the law starts to apply, if set by a later commencement order."),
    )
    awaiting_commencement = models.BooleanField(
        _("awaiting commencement"),
        default=False,
        help_text=_("The law is passed but its start date is not fixed yet: it does not apply."),
    )

    # --- the automatic-renewal notice window ---
    notice_unit = models.CharField(
        _("notice window unit"), max_length=6, choices=WindowUnit.choices, default=WindowUnit.DAYS
    )
    notice_min = models.PositiveSmallIntegerField(
        _("notice: at least this long before"),
        null=True,
        blank=True,
        help_text=_("The latest the notice may be sent: this many units before the anchor."),
    )
    notice_max = models.PositiveSmallIntegerField(
        _("notice: at most this long before"),
        null=True,
        blank=True,
        help_text=_("The earliest the notice may be sent: this many units before the anchor."),
    )
    window_anchor = models.CharField(
        _("counted from"),
        max_length=20,
        choices=WindowAnchor.choices,
        default=WindowAnchor.TERM_END,
    )
    applies_to_terms_of_at_least_months = models.PositiveSmallIntegerField(
        _("notice required for terms of at least (months)"),
        null=True,
        blank=True,
        help_text=_("Empty: for every term length."),
    )

    # --- price changes ---
    price_change_notice_min_days = models.PositiveSmallIntegerField(
        _("price change notice: at least N days before"), null=True, blank=True
    )
    price_change_notice_max_days = models.PositiveSmallIntegerField(
        _("price change notice: at most N days before"), null=True, blank=True
    )
    price_change_threshold_percent = models.DecimalField(
        _("price change needs its own notice above (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("0: any increase. Empty: no price-change rule."),
    )

    # --- cancellation and what a renewal may become ---
    requires_online_cancellation = models.BooleanField(
        _("cancellation must be possible online"), default=False
    )
    requires_cancel_button = models.BooleanField(
        _("a 'cancel contracts here' button is required"), default=False
    )
    renew_into_open_ended = models.BooleanField(
        _("after the initial term, renews only into an open-ended contract"), default=False
    )
    open_ended_notice_months = models.PositiveSmallIntegerField(
        _("notice period of the open-ended contract (months)"), null=True, blank=True
    )
    free_termination_if_not_notified = models.BooleanField(
        _("without a timely notice, the customer may end the contract at any time"),
        default=False,
    )
    withdrawal_days = models.PositiveSmallIntegerField(
        _("withdrawal period (days)"), null=True, blank=True
    )
    requires_withdrawal_function = models.BooleanField(
        _("an online withdrawal function is required"), default=False
    )
    undo_window_days = models.PositiveSmallIntegerField(
        _("an automatic renewal can be undone within (days)"), null=True, blank=True
    )

    # --- consent and disclosure ---
    consent_retention_years = models.PositiveSmallIntegerField(
        _("keep consent records (years)"), null=True, blank=True
    )
    prominent_disclosure_required = models.BooleanField(
        _("prominent disclosure required at opt-in"), default=False
    )
    delivered_notice_channels = models.JSONField(
        _("proofs that count as a delivered notice"),
        default=all_delivery_proofs,
        blank=True,
        help_text=_("Any of: email_accepted, sms_receipt, portal_read."),
    )

    source_citation = models.TextField(
        _("legal source"), help_text=_("The law and article(s) this rule set follows.")
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("rule set")
        verbose_name_plural = _("rule sets")
        ordering = ["jurisdiction__code", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["jurisdiction", "version"], name="one_ruleset_version_per_jurisdiction"
            ),
            models.CheckConstraint(
                condition=models.Q(effective_to__isnull=True)
                | models.Q(effective_to__gte=models.F("effective_from")),
                name="ruleset_effective_to_not_before_from",
            ),
            models.CheckConstraint(
                condition=models.Q(notice_min__isnull=True)
                | models.Q(notice_max__isnull=True)
                | models.Q(notice_max__gte=models.F("notice_min")),
                name="ruleset_notice_min_not_above_max",
            ),
        ]
        indexes = [
            models.Index(fields=["jurisdiction", "effective_from"], name="ruleset_jur_from"),
        ]

    def __str__(self) -> str:
        code = self.jurisdiction.code if self.jurisdiction_id else "?"
        return f"{code} v{self.version} ({self.effective_from.isoformat()})"

    # --- facts about this row ---

    @property
    def starts_on(self) -> dt.date:
        """The first day it applies: its effective date, or the commencement if later."""
        if self.commencement_date and self.commencement_date > self.effective_from:
            return self.commencement_date
        return self.effective_from

    def in_force_on(self, day: dt.date) -> bool:
        if self.awaiting_commencement:
            return False
        if day < self.starts_on:
            return False
        return self.effective_to is None or day <= self.effective_to

    @property
    def has_notice_window(self) -> bool:
        return self.notice_min is not None or self.notice_max is not None

    @property
    def delivery_proofs(self) -> frozenset[str]:
        value = self.delivered_notice_channels
        return frozenset(value) if isinstance(value, list) else frozenset(ALL_PROOFS)

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if (
            self.notice_min is not None
            and self.notice_max is not None
            and self.notice_min > self.notice_max
        ):
            errors["notice_max"] = _("The earliest notice must not be later than the latest.")
        if (
            self.price_change_notice_min_days is not None
            and self.price_change_notice_max_days is not None
            and self.price_change_notice_min_days > self.price_change_notice_max_days
        ):
            errors["price_change_notice_max_days"] = _(
                "The earliest price-change notice must not be later than the latest."
            )
        if self.effective_to and self.effective_from and self.effective_to < self.effective_from:
            errors["effective_to"] = _("The end date must not be before the start date.")
        if not (self.source_citation or "").strip():
            errors["source_citation"] = _("Cite the law and article this rule set follows.")
        if self.renew_into_open_ended and not self.open_ended_notice_months:
            errors["open_ended_notice_months"] = _(
                "Give the notice period of the open-ended contract."
            )
        if self.awaiting_commencement and self.commencement_date:
            errors["awaiting_commencement"] = _(
                "A commencement date is set: untick 'awaiting commencement'."
            )
        proofs = self.delivered_notice_channels
        if not isinstance(proofs, list) or not proofs or any(p not in ALL_PROOFS for p in proofs):
            errors["delivered_notice_channels"] = _(
                "Choose at least one proof among: %(proofs)s."
            ) % {"proofs": ", ".join(ALL_PROOFS)}
        if self.price_change_threshold_percent is not None and not (
            0 <= self.price_change_threshold_percent <= 100
        ):
            errors["price_change_threshold_percent"] = _("Give a percentage between 0 and 100.")
        if not errors and self.jurisdiction_id and self.effective_from:
            overlap = self._overlapping()
            if overlap is not None:
                errors["effective_from"] = _(
                    "These dates overlap version %(version)s of the same jurisdiction."
                ) % {"version": overlap.version}
        if errors:
            raise ValidationError(errors)

    def _overlapping(self) -> RuleSet | None:
        """Another version of this jurisdiction whose dates share a day with this one."""
        others = RuleSet.objects.filter(jurisdiction_id=self.jurisdiction_id).exclude(pk=self.pk)
        if self.effective_to is not None:
            others = others.filter(effective_from__lte=self.effective_to)
        return (
            others.filter(
                models.Q(effective_to__isnull=True)
                | models.Q(effective_to__gte=self.effective_from)
            )
            .order_by("effective_from")
            .first()
        )


class ContractRules(models.Model):
    """The rule sets that applied to one contract when it was signed (or activated),
    with the customer's jurisdiction at that moment. Written once, never rewritten."""

    contract = models.OneToOneField(
        "contracts.Contract",
        verbose_name=_("contract"),
        on_delete=models.PROTECT,
        related_name="compliance_rules",
    )
    country = models.CharField(_("country"), max_length=2)
    region = models.CharField(_("region"), max_length=6, blank=True)
    resolved_on = models.DateField(_("rules in force on"))
    rulesets: models.ManyToManyField[RuleSet, ContractRuleSet] = models.ManyToManyField(
        RuleSet,
        verbose_name=_("rule sets"),
        through="ContractRuleSet",
        related_name="contract_rules",
        blank=True,
    )
    captured_at = models.DateTimeField(_("captured at"), auto_now_add=True)

    class Meta:
        verbose_name = _("rules of a contract")
        verbose_name_plural = _("rules of contracts")

    def __str__(self) -> str:
        return f"{self.contract_id}: {self.country} {self.region} {self.resolved_on}"


class ContractRuleSet(models.Model):
    """One rule set of a contract's snapshot. A rule set that a contract was signed under
    cannot be deleted (PROTECT): the evidence must still say what applied."""

    contract_rules = models.ForeignKey(
        ContractRules, on_delete=models.CASCADE, related_name="entries"
    )
    ruleset = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("rule set of a contract")
        verbose_name_plural = _("rule sets of contracts")
        constraints = [
            models.UniqueConstraint(
                fields=["contract_rules", "ruleset"], name="one_entry_per_contract_ruleset"
            )
        ]

    def __str__(self) -> str:
        return f"{self.contract_rules_id} → {self.ruleset_id}"
