"""Loyalty models (docs/loyalty.md).

Points live in one ledger, :class:`PointsEntry`: every earning, redemption, expiry and
staff adjustment is a signed row, and a balance is always the sum of the rows (there is no
balance column to drift). Rules, levels, privileges and rewards are data edited in the
admin. Nothing here has a status column: a redemption is "used" when it names the quote
that used it, a referral is "signed" when it names the customer it brought.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language, gettext, ngettext
from django.utils.translation import gettext_lazy as _

from contracts.models import Plan
from core.models import TimeStampedModel
from customers.models import Customer

PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


class BilingualName(models.Model):
    """A name kept in both interface languages: ``name`` in Chinese, ``name_en`` in
    English (empty: the Chinese one)."""

    name = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        language = (get_language() or "zh-hans").lower()
        if language.startswith("en") and self.name_en:
            return self.name_en
        return self.name


class Trigger(models.TextChoices):
    ON_TIME_PAYMENT = "on_time_payment", _("Invoice paid on time")
    RENEWAL = "renewal", _("Renewal")
    TENURE = "tenure", _("Contract anniversary (each year as a customer)")
    REFERRAL = "referral", _("Referred customer signed")


class EarnRule(BilingualName, TimeStampedModel):
    """How many points an occasion earns. Several active rules of one trigger all earn."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    trigger = models.CharField(_("earned on"), max_length=20, choices=Trigger.choices)
    points = models.PositiveIntegerField(_("points"), validators=[MinValueValidator(1)])
    # Optional: the points above per this much money (an invoice's or a contract's amount),
    # rounded down; empty: a fixed number of points per occasion.
    per_amount = models.DecimalField(
        _("per amount"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("Leave empty for a fixed number of points per occasion."),
    )
    expiry_months = models.PositiveSmallIntegerField(
        _("points expire after (months)"),
        default=24,
        help_text=_("0: the points never expire."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("earning rule")
        verbose_name_plural = _("earning rules")
        ordering = ["trigger", "code"]


class Level(BilingualName, TimeStampedModel):
    """A member level, reached with ``min_points`` earned in the qualifying window
    (``LOYALTY_QUALIFYING_MONTHS``, 12 by default): spending points never demotes."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    min_points = models.PositiveIntegerField(_("from points"), unique=True)

    class Meta:
        verbose_name = _("member level")
        verbose_name_plural = _("member levels")
        ordering = ["min_points"]


class PrivilegeKind(models.TextChoices):
    RENEWAL_DISCOUNT = "renewal_discount", _("Renewal discount")
    EXTRA_SERVICE = "extra_service", _("Extra service")
    PRIORITY_SLA = "priority_sla", _("Priority response")


class Privilege(TimeStampedModel):
    """What a level gives. A renewal discount is applied to the member's renewal quotes
    with its reason; an extra service is added to them as a complimentary line of its
    product (``plan`` × ``quantity`` at price 0), with its reason; a priority response is
    shown to the member and to staff."""

    level = models.ForeignKey(
        Level, verbose_name=_("level"), on_delete=models.CASCADE, related_name="privileges"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=PrivilegeKind.choices)
    discount_percent = models.DecimalField(
        _("discount (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=PERCENT,
    )
    response_hours = models.PositiveSmallIntegerField(
        _("response within (hours)"), null=True, blank=True
    )
    # Extra service only: the product given free, and how much of it per renewal term.
    plan = models.ForeignKey(
        Plan,
        verbose_name=_("service (product)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_(
            "Extra service only: the product added free of charge to the member's renewal quotes."
        ),
    )
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("Extra service only: how many of the product, per renewal term."),
    )
    description = models.CharField(_("description (Chinese)"), max_length=200, blank=True)
    description_en = models.CharField(_("description (English)"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("privilege")
        verbose_name_plural = _("privileges")
        ordering = ["level__min_points", "kind", "id"]

    def __str__(self) -> str:
        return f"{self.level.code}: {self.get_kind_display()}"

    def clean(self) -> None:
        super().clean()
        # A complimentary line is recognised at the next renewal by its product: an extra
        # service without one could be neither added to a quote nor taken off again.
        if self.kind == PrivilegeKind.EXTRA_SERVICE and self.plan_id is None:
            raise ValidationError(
                {"plan": _("An extra service must say which service it gives: choose its product.")}
            )
        if self.kind != PrivilegeKind.EXTRA_SERVICE and self.plan_id is not None:
            raise ValidationError(
                {"plan": _("Only an extra service gives a product: leave the product empty.")}
            )

    @property
    def display_description(self) -> str:
        """The description in the reader's language; an extra service without one is
        named by its product."""
        language = (get_language() or "zh-hans").lower()
        if language.startswith("en") and self.description_en:
            return self.description_en
        if self.description:
            return self.description
        if self.kind == PrivilegeKind.EXTRA_SERVICE and self.plan is not None:
            return self.plan.name
        return ""


class RewardKind(models.TextChoices):
    RENEWAL_DISCOUNT = "renewal_discount", _("Discount on the next renewal")
    SERVICE = "service", _("Service")


class Reward(BilingualName, TimeStampedModel):
    """What points can be exchanged for."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=RewardKind.choices)
    points_cost = models.PositiveIntegerField(_("points"), validators=[MinValueValidator(1)])
    discount_percent = models.DecimalField(
        _("discount (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=PERCENT,
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")
        ordering = ["points_cost", "code"]


class Redemption(models.Model):
    """A customer exchanged points for a reward (the ledger row that paid is
    ``entry``). A renewal discount waits for the next quote, which it names when used."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+"
    )
    reward = models.ForeignKey(
        Reward, verbose_name=_("reward"), on_delete=models.PROTECT, related_name="redemptions"
    )
    points = models.PositiveIntegerField(_("points"))
    # Copied from the reward when redeemed: a later catalogue change never rewrites it.
    kind = models.CharField(_("kind"), max_length=20, choices=RewardKind.choices)
    discount_percent = models.DecimalField(
        _("discount (%)"), max_digits=5, decimal_places=2, default=Decimal("0")
    )
    created_at = models.DateTimeField(_("redeemed at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The quote that used it, or the contract of an automatic renewal (which has no quote).
    used_quote_ref = models.CharField(_("used on"), max_length=32, blank=True)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.reward_id} {self.points}"


class EntryKind(models.TextChoices):
    EARN = "earn", _("Earned")
    REDEEM = "redeem", _("Redeemed")
    EXPIRE = "expire", _("Expired")
    ADJUST = "adjust", _("Adjusted by staff")


class ReasonCode(models.TextChoices):
    """Why points moved, kept as a code and its parameters (``PointsEntry.reason_params``)
    and worded when shown, in the reader's language (:func:`reason_text`)."""

    ON_TIME_PAYMENT = "on_time_payment", "on_time_payment"
    RENEWAL = "renewal", "renewal"
    TENURE = "tenure", "tenure"
    REFERRAL = "referral", "referral"
    EXPIRY = "expiry", "expiry"
    REDEMPTION = "redemption", "redemption"


# The wording of each code; its parameters fill the placeholders. A redemption is named
# by its reward (in the reader's language), which the row links.
REASON_TEXTS = {
    ReasonCode.ON_TIME_PAYMENT: _("Invoice %(number)s paid on time"),
    ReasonCode.RENEWAL: _("Renewal of contract %(number)s"),
    # TENURE is worded with a plural form (reason_text).
    ReasonCode.REFERRAL: _("Referred customer %(name)s signed"),
    ReasonCode.EXPIRY: _("Points expired"),
}


def _tenure_text(params: dict[str, object] | None) -> str | None:
    try:
        years = int(str((params or {})["years"]))
    except (KeyError, TypeError, ValueError):
        return None
    return ngettext("%(years)s year as a customer", "%(years)s years as a customer", years) % {
        "years": years
    }


def reason_text(*, code: str, params: dict[str, object] | None) -> str | None:
    """A reason code worded in the active language; None for an unknown code or
    parameters that do not fit (the caller shows the stored text instead)."""
    if code == ReasonCode.TENURE:
        return _tenure_text(params)
    wording = REASON_TEXTS.get(code)  # type: ignore[call-overload]
    if wording is None:
        return None
    try:
        return str(wording) % (params or {}) if params else str(wording)
    except (KeyError, TypeError, ValueError):
        return None


class PointsEntry(models.Model):
    """One row of a customer's points ledger. Signed: earnings add, redemptions and
    expiries take away, an adjustment may do either. Never updated or deleted.

    ``dedupe_key`` names the occasion of an earning (rule and subject, e.g.
    ``renewal-points:contract:12``): the unique index makes a reaction delivered twice,
    or a sweep run twice, earn once."""

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="points_entries",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=EntryKind.choices)
    points = models.IntegerField(_("points"))
    rule = models.ForeignKey(
        EarnRule,
        verbose_name=_("rule"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    redemption = models.OneToOneField(
        Redemption,
        verbose_name=_("redemption"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entry",
    )
    dedupe_key = models.CharField(_("occasion"), max_length=120, null=True, blank=True)
    # The business date it counts from, and (earnings) the date it expires after.
    on = models.DateField(_("date"))
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    # The reason as written (a staff adjustment's, as typed; an earning's, in English for
    # the audit trail). A row with ``reason_code`` is shown worded in the reader's
    # language from the code and ``reason_params`` (rows from before the codes: as stored).
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    reason_code = models.CharField(
        _("reason code"), max_length=20, choices=ReasonCode.choices, blank=True
    )
    reason_params = models.JSONField(_("reason parameters"), null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")
        ordering = ["-on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dedupe_key"],
                condition=models.Q(dedupe_key__isnull=False),
                name="loyalty_entry_dedupe_once",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(kind="earn", points__gt=0)
                    | models.Q(kind__in=["redeem", "expire"], points__lt=0)
                    | (models.Q(kind="adjust") & ~models.Q(points=0))
                ),
                name="loyalty_entry_sign_by_kind",
            ),
        ]
        indexes = [models.Index(fields=["customer", "on"], name="loyalty_entry_customer_on")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.kind} {self.points:+d}"

    @property
    def display_reason(self) -> str:
        """The reason in the reader's language (the stored text for a staff adjustment
        and for rows written before reason codes)."""
        if self.reason_code == ReasonCode.REDEMPTION and self.redemption_id is not None:
            return self.redemption.reward.display_name  # type: ignore[union-attr]
        if self.reason_code:
            text = reason_text(code=self.reason_code, params=self.reason_params)
            if text is not None:
                return text
        return self.reason


class Referral(models.Model):
    """A customer invited a contact. When a customer brought by it signs their first
    contract (it becomes active), the referrer earns the referral rule's points and
    ``referred_customer`` / ``signed_at`` are set."""

    referrer = models.ForeignKey(
        Customer, verbose_name=_("referred by"), on_delete=models.PROTECT, related_name="+"
    )
    contact_name = models.CharField(_("contact name"), max_length=100)
    contact_email = models.EmailField(_("contact e-mail"))
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    company = models.CharField(_("company"), max_length=200, blank=True)
    token = models.CharField(_("referral code"), max_length=32, unique=True, editable=False)
    created_at = models.DateTimeField(_("invited at"), default=timezone.now)
    referred_customer = models.OneToOneField(
        Customer,
        verbose_name=_("referred customer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referred_by",
    )
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["contact_email"], name="loyalty_referral_email")]

    def __str__(self) -> str:
        return self.token


class QuoteBenefit(models.Model):
    """What loyalty took off a renewal quote, or added to it free of charge, and why: the
    member's level privilege or a redeemed reward. Named by the quote's number (renewals
    sits above loyalty), read by the quote's pages and PDF to show the reason; an
    automatic renewal's (no quote) by the successor contract's number instead."""

    quote_ref = models.CharField(_("quote"), max_length=32, blank=True, db_index=True)
    # An automatic renewal has no quote: its benefits are named by the successor contract
    # it made (exactly one of the two is set), which the contract's pages read.
    contract_ref = models.CharField(
        _("automatic renewal (contract)"), max_length=32, blank=True, db_index=True
    )
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+"
    )
    level = models.ForeignKey(
        Level, verbose_name=_("level"), null=True, blank=True, on_delete=models.PROTECT
    )
    privilege = models.ForeignKey(
        Privilege, verbose_name=_("privilege"), null=True, blank=True, on_delete=models.PROTECT
    )
    redemption = models.ForeignKey(
        Redemption, verbose_name=_("redemption"), null=True, blank=True, on_delete=models.PROTECT
    )
    discount_percent = models.DecimalField(_("discount (%)"), max_digits=5, decimal_places=2)
    # An extra service: the product added to the quote free of charge, and how much. This
    # row is what marks the complimentary line (a line of this product at price 0) on the
    # quote and on the contract made from it, so that the next renewal drops it rather
    # than charging it, and gives it again only through the privilege.
    plan = models.ForeignKey(
        Plan,
        verbose_name=_("complimentary service"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    quantity = models.DecimalField(
        _("quantity"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    created_at = models.DateTimeField(_("applied at"), default=timezone.now)

    class Meta:
        verbose_name = _("quote benefit")
        verbose_name_plural = _("quote benefits")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    (~models.Q(quote_ref="") & models.Q(contract_ref=""))
                    | (models.Q(quote_ref="") & ~models.Q(contract_ref=""))
                ),
                name="loyalty_benefit_quote_or_contract",
            ),
        ]

    def __str__(self) -> str:
        ref = self.quote_ref or self.contract_ref
        if self.plan_id is not None:
            return f"{ref} +{self.plan_id}"
        return f"{ref} {self.discount_percent}%"

    @property
    def is_service(self) -> bool:
        return self.plan_id is not None

    @property
    def service_name(self) -> str:
        """The complimentary service, in the reader's language: the privilege's
        description, or the product's name."""
        if self.privilege is not None and self.privilege.display_description:
            return self.privilege.display_description
        return self.plan.name if self.plan is not None else ""

    @property
    def reason(self) -> str:
        """Why the quote has this discount or this free service, in the reader's
        language."""
        level = self.level.display_name if self.level is not None else ""
        if self.plan_id is not None:
            return gettext(
                "Included free of charge: %(service)s, member extra service (%(level)s)"
            ) % {"service": self.service_name, "level": level}
        percent = f"{self.discount_percent.normalize():f}"
        if self.redemption is not None:
            return gettext("%(percent)s%% off: reward “%(reward)s” redeemed with points") % {
                "percent": percent,
                "reward": self.redemption.reward.display_name,
            }
        # The level's name may already say "member" (银卡会员, Silver member): it is
        # named in brackets, never built into "your <level> membership".
        if not level:
            return gettext("%(percent)s%% off: member renewal discount") % {"percent": percent}
        return gettext("%(percent)s%% off: member renewal discount (%(level)s)") % {
            "percent": percent,
            "level": level,
        }
