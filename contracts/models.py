from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.events import EventBase
from core.models import TimeStampedModel


class BillingPeriod(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    ANNUAL = "annual", _("Annual")


PERIOD_MONTHS: dict[str, int] = {
    BillingPeriod.MONTHLY: 1,
    BillingPeriod.QUARTERLY: 3,
    BillingPeriod.ANNUAL: 12,
}


class FeeKind(models.TextChoices):
    NONE = "none", _("No fee")
    FIXED = "fixed", _("Fixed amount")
    PERCENT_REMAINING = "percent_remaining", _("Percent of remaining value")
    PERIODS = "periods", _("N periods of fee")


class RefundPolicy(models.TextChoices):
    NONE = "none", _("No refund")
    PRO_RATA = "pro_rata", _("Pro-rata of prepaid unused service, minus the fee")


class Plan(TimeStampedModel):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    price = models.DecimalField(
        _("price per billing period"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("The base price; dated prices below take over from their effective date."),
    )
    billing_period = models.CharField(
        _("billing period"),
        max_length=20,
        choices=BillingPeriod.choices,
        default=BillingPeriod.MONTHLY,
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    default_term_months = models.PositiveSmallIntegerField(_("default term (months)"), default=12)
    default_auto_renew = models.BooleanField(_("auto-renew by default"), default=False)
    default_notice_days = models.PositiveSmallIntegerField(
        _("default notice period (days)"), default=30
    )
    etf_kind = models.CharField(
        _("early-termination fee"), max_length=20, choices=FeeKind.choices, default=FeeKind.NONE
    )
    etf_value = models.DecimalField(
        _("fee value"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0"),
        help_text=_("Amount, percent or number of periods, depending on the fee kind."),
    )
    refund_policy = models.CharField(
        _("refund policy"), max_length=20, choices=RefundPolicy.choices, default=RefundPolicy.NONE
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def price_on(self, day: dt.date) -> Decimal:
        """The price per billing period in force on ``day``."""
        dated = self.prices.filter(effective_from__lte=day).order_by("-effective_from").first()
        return dated.price if dated else self.price


class PlanPrice(models.Model):
    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="prices"
    )
    price = models.DecimalField(
        _("price per billing period"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    effective_from = models.DateField(_("effective from"))

    class Meta:
        verbose_name = _("plan price")
        verbose_name_plural = _("plan prices")
        ordering = ["plan", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "effective_from"], name="one_price_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.plan.code} {self.price} @ {self.effective_from}"


class TermsVersion(TimeStampedModel):
    version = models.CharField(_("version"), max_length=20, unique=True)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("contract text"))
    effective_from = models.DateField(_("effective from"))

    class Meta:
        verbose_name = _("terms version")
        verbose_name_plural = _("terms versions")
        ordering = ["-effective_from"]

    def __str__(self) -> str:
        return f"{self.version} — {self.title}"


class ContractStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")  # being prepared by staff
    AWAITING_SIGNATURE = "awaiting_signature", _("Awaiting signature")  # sent to the customer
    AWAITING_PAYMENT = "awaiting_payment", _("Awaiting payment")  # signed, first invoice unpaid
    SCHEDULED = "scheduled", _("Scheduled")  # signed and paid, term starts in the future
    ACTIVE = "active", _("Active")  # in its term
    RENEWED = "renewed", _("Renewed")  # term ended, successor took over
    EXPIRED = "expired", _("Expired")  # term ended with no renewal
    TERMINATED = "terminated", _("Terminated")  # ended early by a completed cancellation
    VOID = "void", _("Void")  # abandoned before it became active


ENDED_STATUSES = (ContractStatus.RENEWED, ContractStatus.EXPIRED, ContractStatus.TERMINATED)


class Contract(TimeStampedModel):
    number = models.CharField(_("number"), max_length=32, unique=True, editable=False)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    plan = models.ForeignKey(
        Plan,
        verbose_name=_("plan"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_contracts",
    )
    # The customer's account manager, copied here so that a manager's book is one index
    # range on contracts instead of a walk over the manager's customers (at 1,000,000
    # contracts the difference between ~1 ms and 50-120 ms per list, count or dashboard
    # figure). Never set by the application: database triggers (migration 0005) fill it
    # on every insert or update of a contract and follow a customer's change of manager,
    # so bulk inserts, imports and raw SQL keep it right too. Read by core.access.
    customer_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager of the customer"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ContractStatus.choices,
        default=ContractStatus.DRAFT,
        editable=False,
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    billing_period = models.CharField(
        _("billing period"),
        max_length=20,
        choices=BillingPeriod.choices,
        default=BillingPeriod.MONTHLY,
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    # Fee for the whole term and its annualised value, kept in step with the lines by services.
    total_amount = models.DecimalField(
        _("total for the term"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    annual_value = models.DecimalField(
        _("annualised value"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    terms_version = models.ForeignKey(
        TermsVersion,
        verbose_name=_("terms version"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    auto_renew = models.BooleanField(_("auto-renew"), default=False, editable=False)
    notice_period_days = models.PositiveSmallIntegerField(_("notice period (days)"), default=30)
    # Cancellation policy, copied from the plan when signed: a later plan change
    # never rewrites a signed contract.
    etf_kind = models.CharField(
        _("early-termination fee"), max_length=20, choices=FeeKind.choices, default=FeeKind.NONE
    )
    etf_value = models.DecimalField(
        _("fee value"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    refund_policy = models.CharField(
        _("refund policy"), max_length=20, choices=RefundPolicy.choices, default=RefundPolicy.NONE
    )
    predecessor = models.OneToOneField(
        "self",
        verbose_name=_("renews contract"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="successor",
    )
    signed_document = models.FileField(
        _("signed document"), upload_to="contracts/signed/%Y/", blank=True
    )
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True, editable=False)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["end_date", "number"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="contract_end_after_start",
            ),
        ]
        indexes = [
            # "Expiring" lists and the reminder sweep: active contracts by end date.
            models.Index(
                fields=["end_date"],
                name="contract_active_end",
                condition=models.Q(status="active"),
            ),
            # The list's "ending within N days" in its default order (end date, number):
            # an index range read in order with LIMIT, skipping no ended contracts.
            models.Index(
                fields=["end_date", "number"],
                name="contract_active_end_number",
                condition=models.Q(status="active"),
            ),
            models.Index(fields=["status", "end_date"], name="contract_status_end"),
            models.Index(fields=["owner", "status", "end_date"], name="contract_owner_status_end"),
            models.Index(fields=["customer", "end_date"], name="contract_customer_end"),
            # A customer's contracts by status and end date (customer detail, portal,
            # tier figures): index-only probes per customer.
            models.Index(
                fields=["customer", "status", "end_date"], name="contract_customer_status_end"
            ),
            # A manager's book (core.access) by status and end date, and in the list's
            # default order: "ending within 30 days" and "all of my contracts" are index
            # ranges read in order, with LIMIT.
            models.Index(
                fields=["customer_manager", "status", "end_date", "number"],
                name="contract_book_status_end",
            ),
            models.Index(
                fields=["customer_manager", "end_date", "number"], name="contract_book_end"
            ),
            models.Index(fields=["plan", "end_date"], name="contract_plan_end"),
            # The staff contract list's default order (end date, number) for a team lead
            # with no filter: an index scan with LIMIT instead of sorting every contract.
            models.Index(fields=["end_date", "number"], name="contract_end_number"),
        ]

    def __str__(self) -> str:
        return self.number

    def days_until_end(self, today: dt.date | None = None) -> int:
        today = today or timezone.localdate()
        return (self.end_date - today).days

    @property
    def term_days(self) -> int:
        return (self.end_date - self.start_date).days + 1

    @property
    def is_ended(self) -> bool:
        return self.status in ENDED_STATUSES

    @property
    def is_editable(self) -> bool:
        return self.status == ContractStatus.DRAFT


class PricedLine(models.Model):
    """A priced line: what contract lines and renewal quote lines share."""

    description = models.CharField(_("description"), max_length=300)
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    unit_price = models.DecimalField(
        _("unit price (per term)"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.description

    @property
    def amount(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(Decimal("0.01"))


class ContractLine(PricedLine):
    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.CASCADE, related_name="lines"
    )
    plan = models.ForeignKey(
        Plan, verbose_name=_("product"), null=True, blank=True, on_delete=models.PROTECT
    )

    class Meta(PricedLine.Meta):
        verbose_name = _("contract line")
        verbose_name_plural = _("contract lines")


class ContractEvent(EventBase):
    """Audit trail: one row per change, written in the same transaction as the change.
    Other apps write their steps here too (renewals, billing, retention); the reactions
    to these rows are declared in ``lifecycle/subscriptions.py``."""

    SUBJECT_FIELD = "contract"

    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.PROTECT, related_name="events"
    )
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta(EventBase.Meta):
        verbose_name = _("contract event")
        verbose_name_plural = _("contract events")
        indexes = [
            *EventBase.Meta.indexes,
            models.Index(fields=["contract", "at"], name="event_contract_at"),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class ConsentChannel(models.TextChoices):
    PORTAL = "portal", _("Portal")
    STAFF = "staff", _("Staff on behalf of the customer")
    IMPORT = "import", _("Import")
    API = "api", _("API")


class ConsentKind(models.TextChoices):
    AUTO_RENEW = "auto_renew", _("Auto-renewal")
    # Charging a saved card or a signed agreement for the renewals (payments' mandates).
    PAYMENT_METHOD = "payment_method", _("Automatic payment")


class AutoRenewConsent(models.Model):
    """Ledger of every auto-renew switch, and of every consent to pay renewals
    automatically (``kind``). Kept at least 3 years; never deleted."""

    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.PROTECT, related_name="consents"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="consents",
    )
    kind = models.CharField(
        _("consent to"), max_length=20, choices=ConsentKind.choices, default=ConsentKind.AUTO_RENEW
    )
    enabled = models.BooleanField(_("auto-renew on"))
    text = models.TextField(_("text shown"))
    text_version = models.CharField(_("text version"), max_length=20)
    at = models.DateTimeField(_("at"), default=timezone.now)
    channel = models.CharField(_("channel"), max_length=20, choices=ConsentChannel.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("auto-renew consent")
        verbose_name_plural = _("auto-renew consents")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["customer", "at"], name="consent_customer_at")]

    def __str__(self) -> str:
        return f"{self.contract_id} {'on' if self.enabled else 'off'} {self.at:%Y-%m-%d}"
