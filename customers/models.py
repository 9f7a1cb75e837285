from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel

from .country_codes import (
    default_country,
    validate_country_code,
    validate_region_code,
    validate_region_in_country,
)
from .tags import tags_display


class Tier(models.TextChoices):
    A = "A", _("Tier A")
    B = "B", _("Tier B")
    C = "C", _("Tier C")


class CustomerKind(models.TextChoices):
    COMPANY = "company", _("Company")
    INDIVIDUAL = "individual", _("Individual")


class Customer(TimeStampedModel):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(
        _("kind"), max_length=20, choices=CustomerKind.choices, default=CustomerKind.COMPANY
    )
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="customers",
        limit_choices_to={"is_staff": True},
    )
    # The computed tier (recomputed nightly) and an optional manual override with who/why.
    tier = models.CharField(_("tier"), max_length=1, choices=Tier.choices, default=Tier.C)
    tier_override = models.CharField(
        _("tier override"), max_length=1, choices=Tier.choices, blank=True
    )
    tier_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("tier overridden by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    tier_override_reason = models.CharField(_("tier override reason"), max_length=300, blank=True)
    tier_override_at = models.DateTimeField(_("tier overridden at"), null=True, blank=True)
    language = models.CharField(
        _("preferred language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans"
    )
    notify_email = models.BooleanField(_("notify by email"), default=True)
    notify_sms = models.BooleanField(_("notify by SMS"), default=False)
    notify_in_app = models.BooleanField(_("notify in the portal"), default=True)
    care_messages = models.BooleanField(_("care messages"), default=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    founded_on = models.DateField(_("founding date"), null=True, blank=True)
    tags = models.CharField(_("tags"), max_length=300, blank=True, help_text=_("Comma-separated"))
    notes = models.TextField(_("notes"), blank=True)
    # Where the customer lives, for the automatic-renewal rules (docs/compliance.md).
    # Codes validated against customers/country_codes.py (data, no choices: adding a
    # country needs no migration).
    country = models.CharField(
        _("country"),
        max_length=2,
        default=default_country,
        validators=[validate_country_code],
        help_text=_("ISO 3166-1 code, e.g. CN, US, FR."),
    )
    region = models.CharField(
        _("region"),
        max_length=6,
        blank=True,
        validators=[validate_region_code],
        help_text=_("ISO 3166-2 subdivision, e.g. US-CA; empty when it does not matter."),
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["code"]
        indexes = [
            models.Index(fields=["account_manager", "code"], name="customer_manager_code"),
            models.Index(fields=["tier"], name="customer_tier"),
            models.Index(fields=["name"], name="customer_name"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        super().clean()
        try:
            validate_region_in_country(self.country, self.region)
        except ValidationError as exc:
            raise ValidationError({"region": exc}) from exc

    @property
    def effective_tier(self) -> str:
        return self.tier_override or self.tier

    def get_effective_tier_display(self) -> str:
        return str(Tier(self.effective_tier).label)

    @property
    def tag_list(self) -> list[str]:
        return tags_display(self.tags)


class Contact(TimeStampedModel):
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    role = models.CharField(_("role"), max_length=100, blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-is_primary", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=models.Q(is_primary=True),
                name="one_primary_contact_per_customer",
            )
        ]
        indexes = [models.Index(fields=["email"], name="contact_email")]

    def __str__(self) -> str:
        return self.name


class PortalAccount(TimeStampedModel):
    """A person who may log into the portal for one customer organisation."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="portal_account",
    )
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="portal_accounts",
    )

    class Meta:
        verbose_name = _("portal account")
        verbose_name_plural = _("portal accounts")

    def __str__(self) -> str:
        return f"{self.user} → {self.customer}"


class TierSettings(models.Model):
    """The ABC thresholds (one row, edited in admin), on annualised active contract value.

    A customer is tier A from ``a_min`` upwards, B from ``b_min``, C below that.
    """

    a_min = models.DecimalField(
        _("tier A from (annualised value)"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("100000.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    b_min = models.DecimalField(
        _("tier B from (annualised value)"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("20000.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    # Contracts in another currency count at these rates to the default currency,
    # e.g. {"USD": "7.10"}; a currency without a rate is left out (and reported).
    fx_rates = models.JSONField(
        _("exchange rates to the default currency"),
        default=dict,
        blank=True,
        help_text=_('For example {"USD": "7.10", "EUR": "7.70"}.'),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    last_recomputed_at = models.DateTimeField(
        _("tiers last recomputed at"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("tier settings")
        verbose_name_plural = _("tier settings")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(a_min__gte=models.F("b_min")),
                name="tier_a_threshold_not_below_b",
            )
        ]

    def __str__(self) -> str:
        return str(_("Tier thresholds"))

    def clean(self) -> None:
        if self.a_min is not None and self.b_min is not None and self.a_min < self.b_min:
            raise ValidationError(
                {"a_min": _("The tier A threshold must not be below the tier B threshold.")}
            )
        rates = self.fx_rates if isinstance(self.fx_rates, dict) else None
        if rates is None:
            raise ValidationError({"fx_rates": _("Give the rates as an object of currency: rate.")})
        for code, rate in rates.items():
            try:
                value = Decimal(str(rate))
                ok = len(str(code)) == 3 and value.is_finite() and value > 0
            except (ArithmeticError, ValueError):
                ok = False
            if not ok:
                raise ValidationError(
                    {
                        "fx_rates": _("“%(code)s”: a rate must be a positive number.")
                        % {"code": code}
                    }
                )

    def fx_rate_map(self) -> dict[str, Decimal]:
        rates: dict[str, Decimal] = {}
        for code, rate in (self.fx_rates or {}).items():
            try:
                value = Decimal(str(rate))
                if value.is_finite() and value > 0:
                    rates[str(code).upper()] = value
            except ArithmeticError:
                continue
        return rates

    @classmethod
    def load(cls) -> TierSettings:
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj
