"""Renewal cases, their quote and its signature."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from contracts.models import PricedLine
from core.models import TimeStampedModel


class Stage(models.TextChoices):
    INTENT_PENDING = "intent_pending", _("Intent pending")  # opened, waiting for the customer
    RESPONDED = "responded", _("Customer responded")  # intent recorded
    QUOTE_SENT = "quote_sent", _("Quote sent")  # successor sent for signature
    SIGNED = "signed", _("Signed")  # successor signed, first invoice unpaid
    PAID = "paid", _("Paid")  # first invoice paid, successor scheduled
    WON = "won", _("Won")  # successor active / predecessor renewed
    LOST = "lost", _("Lost")  # no renewal, with a loss reason


OPEN_STAGES = (Stage.INTENT_PENDING, Stage.RESPONDED, Stage.QUOTE_SENT, Stage.SIGNED, Stage.PAID)
PIPELINE_STAGES = [*OPEN_STAGES, Stage.WON, Stage.LOST]


class Intent(models.TextChoices):
    RENEW_AS_IS = "renew_as_is", _("Renew as is")
    RENEW_WITH_CHANGES = "renew_with_changes", _("Renew with changes")
    WILL_NOT_RENEW = "will_not_renew", _("Will not renew")
    UNDECIDED = "undecided", _("Undecided / has a question")


class IntentChannel(models.TextChoices):
    PORTAL = "portal", _("Portal")
    EMAIL_LINK = "email_link", _("Link in a reminder")
    STAFF = "staff", _("Staff on behalf of the customer")


class LossReason(models.TextChoices):
    PRICE = "price", _("Price too high")
    BUDGET = "budget", _("No budget")
    NO_LONGER_NEEDED = "no_longer_needed", _("No longer needed")
    COMPETITOR = "competitor", _("Moved to a competitor")
    SERVICE = "service", _("Unhappy with the service")
    NO_RESPONSE = "no_response", _("No response")
    OTHER = "other", _("Other")


class RenewalCase(TimeStampedModel):
    contract = models.OneToOneField(
        "contracts.Contract",
        verbose_name=_("contract"),
        on_delete=models.PROTECT,
        related_name="renewal_case",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="renewal_cases",
    )
    stage = models.CharField(
        _("stage"),
        max_length=20,
        choices=Stage.choices,
        default=Stage.INTENT_PENDING,
        editable=False,
    )
    opened_at = models.DateTimeField(_("opened at"), editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    intent = models.CharField(_("intent"), max_length=20, choices=Intent.choices, blank=True)
    intent_note = models.TextField(_("customer's words"), blank=True)
    intent_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    intent_channel = models.CharField(
        _("answered through"), max_length=20, choices=IntentChannel.choices, blank=True
    )
    intent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answer recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    last_contact_at = models.DateTimeField(_("last contact"), null=True, blank=True)
    next_action = models.CharField(_("next action"), max_length=200, blank=True)
    next_action_date = models.DateField(_("next action date"), null=True, blank=True)
    # Set when something needs the manager's eye, e.g. an auto-renewal blocked for want of
    # a delivered renewal notice.
    flag = models.CharField(_("flag"), max_length=300, blank=True)
    loss_reason = models.CharField(
        _("loss reason"), max_length=20, choices=LossReason.choices, blank=True
    )
    loss_note = models.CharField(_("loss note"), max_length=500, blank=True)
    successor = models.OneToOneField(
        "contracts.Contract",
        verbose_name=_("successor contract"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="renewal_case_as_successor",
    )

    class Meta:
        verbose_name = _("renewal case")
        verbose_name_plural = _("renewal cases")
        ordering = ["-opened_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "stage"], name="case_owner_stage"),
            models.Index(fields=["stage", "opened_at"], name="case_stage_opened"),
        ]

    def __str__(self) -> str:
        return f"{self.contract} ({self.get_stage_display()})"

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES


class QuoteStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")  # being prepared by staff
    SENT = "sent", _("Sent")  # the customer can review and sign
    SIGNED = "signed", _("Signed")  # frozen for good
    WITHDRAWN = "withdrawn", _("Withdrawn")  # the case was lost before signing


class Quote(TimeStampedModel):
    """The proposal for the successor contract. One per case, revised in place until signed."""

    case = models.OneToOneField(
        RenewalCase, verbose_name=_("renewal case"), on_delete=models.PROTECT, related_name="quote"
    )
    number = models.CharField(_("number"), max_length=32, unique=True, editable=False)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=QuoteStatus.choices,
        default=QuoteStatus.DRAFT,
        editable=False,
    )
    revision = models.PositiveSmallIntegerField(_("revision"), default=1, editable=False)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    billing_period = models.CharField(_("billing period"), max_length=20)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    terms_version = models.ForeignKey(
        "contracts.TermsVersion",
        verbose_name=_("terms version"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    discount_percent = models.DecimalField(
        _("renewal discount (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    installments = models.PositiveSmallIntegerField(
        _("installments"), default=1, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    note = models.TextField(_("note to the customer"), blank=True)
    subtotal = models.DecimalField(
        _("subtotal"), max_digits=14, decimal_places=2, default=Decimal("0"), editable=False
    )
    discount_amount = models.DecimalField(
        _("discount"), max_digits=14, decimal_places=2, default=Decimal("0"), editable=False
    )
    total = models.DecimalField(
        _("total"), max_digits=14, decimal_places=2, default=Decimal("0"), editable=False
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True, editable=False)
    # The PDFs of the current revision: the quote with its differences, and the contract
    # text the customer signs (its SHA-256 is what a signature commits to).
    document = models.ForeignKey(
        "core.Document",
        verbose_name=_("quote PDF"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    contract_document = models.ForeignKey(
        "core.Document",
        verbose_name=_("contract PDF"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.number

    @property
    def is_editable(self) -> bool:
        return self.status in (QuoteStatus.DRAFT, QuoteStatus.SENT)


class QuoteLine(PricedLine):
    quote = models.ForeignKey(
        Quote, verbose_name=_("quote"), on_delete=models.CASCADE, related_name="lines"
    )
    plan = models.ForeignKey(
        "contracts.Plan",
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The current contract's line this one continues (None for an added product).
    source_line = models.ForeignKey(
        "contracts.ContractLine",
        verbose_name=_("current line"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta(PricedLine.Meta):
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")


class SignatureMethod(models.TextChoices):
    ONLINE = "online", _("Online in the portal")
    OFFLINE = "offline", _("Offline, signed scan uploaded by staff")


class Signature(models.Model):
    """Evidence of a signature. Never edited or deleted."""

    quote = models.OneToOneField(
        Quote, verbose_name=_("quote"), on_delete=models.PROTECT, related_name="signature"
    )
    method = models.CharField(_("method"), max_length=10, choices=SignatureMethod.choices)
    signer_name = models.CharField(_("signed by"), max_length=200)
    signed_at = models.DateTimeField(_("signed at"))
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=500, blank=True)
    # SHA-256 of the exact bytes the customer signed (or of the uploaded scan).
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    document = models.ForeignKey(
        "core.Document",
        verbose_name=_("signed document"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    signed_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("portal user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")

    def __str__(self) -> str:
        return f"{self.quote} — {self.signer_name}"
