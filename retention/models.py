from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.events import EventBase
from core.models import TimeStampedModel


class Kind(models.TextChoices):
    NON_RENEWAL = "non_renewal", _("Do not renew (end at term end)")
    EARLY_TERMINATION = "early_termination", _("Early termination")


class Reason(models.TextChoices):
    PRICE = "price", _("Price")
    BUDGET = "budget", _("Budget")
    LOW_USAGE = "low_usage", _("Low usage")
    SERVICE_QUALITY = "service_quality", _("Service quality")
    COMPETITOR = "competitor", _("Switching to a competitor")
    BUSINESS_CLOSED = "business_closed", _("Business closed")
    OTHER = "other", _("Other")


class Status(models.TextChoices):
    # Labels have a context: "Submitted" / "Confirmed" elsewhere name times, here states.
    # Made; a save offer may be waiting for the customer's answer.
    SUBMITTED = "submitted", pgettext_lazy("cancellation status", "Submitted")
    # The customer went on ("continue to cancel"); staff must confirm.
    IN_REVIEW = "in_review", pgettext_lazy("cancellation status", "In review")
    # Effective date fixed; confirmation (email + PDF) sent.
    CONFIRMED = "confirmed", pgettext_lazy("cancellation status", "Confirmed")
    # The contract ended on the effective date.
    COMPLETED = "completed", pgettext_lazy("cancellation status", "Completed")
    # Withdrawn by the customer.
    WITHDRAWN = "withdrawn", pgettext_lazy("cancellation status", "Withdrawn")
    # A save offer kept the customer; the request is withdrawn.
    RETAINED = "retained", pgettext_lazy("cancellation status", "Withdrawn: offer accepted")
    # Invalid request (contract already ended, or not the customer's).
    REJECTED = "rejected", pgettext_lazy("cancellation status", "Rejected")


OPEN_STATUSES = (Status.SUBMITTED, Status.IN_REVIEW, Status.CONFIRMED)
# Requests staff still have to answer: the SLA clock runs on these.
AWAITING_STAFF = (Status.SUBMITTED, Status.IN_REVIEW)


class Channel(models.TextChoices):
    PORTAL = "portal", _("Portal")
    STAFF = "staff", _("Staff on behalf of the customer")


class OfferKind(models.TextChoices):
    DISCOUNT = "discount", _("Percentage discount for N terms")
    FREE_MONTHS = "free_months", _("Free months")
    DOWNGRADE = "downgrade", _("Downgrade to a plan")
    PAUSE = "pause", _("Pause for N months")
    INSTALLMENTS = "installments", _("Installment plan")
    ADDED_SERVICE = "added_service", _("Added service")


class OfferResponse(models.TextChoices):
    NONE = "", _("No answer yet")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


class RetentionOffer(TimeStampedModel):
    """One entry of the save-offer catalogue, maintained by admins."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(
        _("text shown to the customer"),
        blank=True,
        help_text=_("Say plainly what the customer gets and for how long."),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=OfferKind.choices)
    discount_percent = models.DecimalField(
        _("discount %"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    terms_count = models.PositiveSmallIntegerField(
        _("number of terms"), default=1, help_text=_("For discounts: how many terms it applies to.")
    )
    months = models.PositiveSmallIntegerField(
        _("months"), default=0, help_text=_("For free months and pauses.")
    )
    downgrade_plan = models.ForeignKey(
        "contracts.Plan",
        verbose_name=_("downgrade to plan"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    installments = models.PositiveSmallIntegerField(_("number of installments"), default=0)
    added_service = models.CharField(_("added service"), max_length=200, blank=True)
    # Targeting: empty list = any reason / any tier.
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    tiers = models.JSONField(_("tiers"), default=list, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    priority = models.PositiveSmallIntegerField(
        _("priority"), default=100, help_text=_("Lower comes first when several offers fit.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("retention offer")
        verbose_name_plural = _("retention offers")
        ordering = ["priority", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def is_valid_on(self, day) -> bool:
        if not self.is_active:
            return False
        if self.valid_from and day < self.valid_from:
            return False
        return not (self.valid_until and day > self.valid_until)

    def targets(self, *, reason: str, tier: str) -> bool:
        return (not self.reasons or reason in self.reasons) and (
            not self.tiers or tier in self.tiers
        )


class CancellationRequest(TimeStampedModel):
    """A customer's request to end a contract, from submission to completion."""

    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("contract"),
        on_delete=models.PROTECT,
        related_name="cancellation_requests",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="cancellation_requests",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.SUBMITTED
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    reason_text = models.TextField(_("in the customer's words"), blank=True)
    channel = models.CharField(
        _("channel"), max_length=20, choices=Channel.choices, default=Channel.PORTAL
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # A token carried by the form: the same form posted twice (double click) makes one request.
    submission_token = models.CharField(max_length=64, unique=True, null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    sla_due_at = models.DateTimeField(_("answer due by"))
    requested_effective_date = models.DateField(
        _("earliest effective date at submission"), null=True, blank=True
    )
    # Numbers shown to the customer when they submitted (policy.Settlement.as_dict()).
    preview = models.JSONField(_("preview at submission"), default=dict, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    # Fixed at confirmation.
    effective_date = models.DateField(_("effective date"), null=True, blank=True)
    fee_amount = models.DecimalField(
        _("early-termination fee"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    refund_amount = models.DecimalField(
        _("refund"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    fee_to_invoice = models.DecimalField(
        _("fee to invoice"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    confirmation_document = models.ForeignKey(
        "core.Document",
        verbose_name=_("confirmation PDF"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    first_response_at = models.DateTimeField(_("first staff response"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    rejected_at = models.DateTimeField(_("rejected at"), null=True, blank=True)
    rejection_reason = models.CharField(_("rejection reason"), max_length=300, blank=True)
    # Settlement references written at completion (billing invoice / credit note numbers),
    # or a note that settlement waits for billing.
    final_invoice_ref = models.CharField(_("final invoice"), max_length=64, blank=True)
    credit_note_ref = models.CharField(_("refund / credit note"), max_length=64, blank=True)
    settlement_note = models.CharField(_("settlement note"), max_length=300, blank=True)
    # The one save offer of this request.
    offer = models.ForeignKey(
        RetentionOffer,
        verbose_name=_("retention offer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="requests",
    )
    offer_shown_at = models.DateTimeField(_("offer shown at"), null=True, blank=True)
    offer_response = models.CharField(
        _("offer answer"),
        max_length=10,
        choices=OfferResponse.choices,
        default=OfferResponse.NONE,
        blank=True,
    )
    offer_responded_at = models.DateTimeField(_("offer answered at"), null=True, blank=True)
    revenue_saved = models.DecimalField(
        _("revenue kept"), max_digits=14, decimal_places=2, default=Decimal("0")
    )

    class Meta:
        verbose_name = _("cancellation request")
        verbose_name_plural = _("cancellation requests")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            # One open request per contract: a second submission (double click, a second
            # browser tab, a race) is refused by the database, not only by a check.
            models.UniqueConstraint(
                fields=["contract"],
                condition=models.Q(status__in=["submitted", "in_review", "confirmed"]),
                name="one_open_cancellation_per_contract",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "sla_due_at"], name="cancel_status_sla"),
            models.Index(fields=["status", "effective_date"], name="cancel_status_effective"),
            models.Index(fields=["customer", "submitted_at"], name="cancel_customer_at"),
        ]

    def __str__(self) -> str:
        return f"{self.contract} {self.get_kind_display()} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def can_withdraw(self) -> bool:
        """Before confirmation; a non-renewal also after it, until it takes effect (it
        costs nothing to undo, and a customer who changes their mind may renew)."""
        if self.status in AWAITING_STAFF:
            return True
        return (
            self.status == Status.CONFIRMED
            and self.kind == Kind.NON_RENEWAL
            and self.effective_date is not None
            and timezone.localdate() < self.effective_date
        )

    @property
    def awaiting_offer_answer(self) -> bool:
        return (
            self.status == Status.SUBMITTED
            and self.offer_id is not None
            and self.offer_response == OfferResponse.NONE
        )

    def is_overdue(self, now=None) -> bool:
        now = now or timezone.now()
        return self.status in AWAITING_STAFF and self.sla_due_at < now


EVENT_LABELS = {
    "submitted": _("Request submitted"),
    "offer_shown": _("Retention offer shown"),
    "offer_made": _("Retention offer made"),
    "offer_declined": _("Offer declined"),
    "offer_accepted": _("Offer accepted, request withdrawn"),
    "in_review": _("In review by your account manager"),
    "confirmed": _("Confirmed, effective date fixed"),
    "completed": _("Completed: contract ended"),
    "withdrawn": _("Withdrawn"),
    "rejected": _("Rejected"),
    "contact_logged": _("Contact logged"),
}
# Where the customer's wording ("your account manager") reads wrong to staff.
STAFF_EVENT_LABELS = {
    "in_review": _("In review by the account manager"),
}


class RequestEvent(EventBase):
    """The request's own timeline (the customer's progress page and the staff page)."""

    SUBJECT_FIELD = "request"

    request = models.ForeignKey(
        CancellationRequest,
        verbose_name=_("request"),
        on_delete=models.PROTECT,
        related_name="events",
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    # Staff-only entries (contact log notes) are not shown on the customer's progress page.
    internal = models.BooleanField(_("staff only"), default=False)

    class Meta(EventBase.Meta):
        verbose_name = _("request event")
        verbose_name_plural = _("request events")
        indexes = [
            *EventBase.Meta.indexes,
            models.Index(fields=["request", "at"], name="cancel_event_request_at"),
        ]

    def __str__(self) -> str:
        return f"{self.request_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"

    @property
    def label(self) -> str:
        """In the customer's words (the portal's progress page)."""
        return str(EVENT_LABELS.get(self.kind, self.kind))

    @property
    def staff_label(self) -> str:
        """In staff's words (the staff request page)."""
        return str(STAFF_EVENT_LABELS.get(self.kind) or self.label)


class ContactChannel(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("Email")
    CHAT = "chat", _("Chat / WeChat")
    MEETING = "meeting", _("Meeting")
    OTHER = "other", _("Other")


class ContactLogEntry(models.Model):
    """An account manager's contact with the customer about a request."""

    request = models.ForeignKey(
        CancellationRequest,
        verbose_name=_("request"),
        on_delete=models.PROTECT,
        related_name="contacts",
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    channel = models.CharField(_("channel"), max_length=20, choices=ContactChannel.choices)
    summary = models.TextField(_("summary"))

    class Meta:
        verbose_name = _("contact log entry")
        verbose_name_plural = _("contact log")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.request_id} {self.channel} {self.at:%Y-%m-%d}"


class GrantStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the next quote")
    APPLIED = "applied", _("Applied to the contract")
    USED = "used", _("Used by a quote")


class OfferGrant(TimeStampedModel):
    """What an accepted offer gave the customer, and whether it has been used.

    Extensions, pauses and added services are applied to the contract at once
    (``applied``); discounts, downgrades and installment plans wait for the next quote
    (``pending``) and the renewal quote marks them ``used``.
    """

    request = models.OneToOneField(
        CancellationRequest,
        verbose_name=_("request"),
        on_delete=models.PROTECT,
        related_name="grant",
    )
    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("contract"),
        on_delete=models.PROTECT,
        related_name="offer_grants",
    )
    offer = models.ForeignKey(
        RetentionOffer, verbose_name=_("offer"), on_delete=models.PROTECT, related_name="grants"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=OfferKind.choices)
    status = models.CharField(_("status"), max_length=20, choices=GrantStatus.choices)
    discount_percent = models.DecimalField(
        _("discount %"), max_digits=5, decimal_places=2, default=Decimal("0")
    )
    terms_count = models.PositiveSmallIntegerField(_("number of terms"), default=0)
    months = models.PositiveSmallIntegerField(_("months"), default=0)
    plan = models.ForeignKey(
        "contracts.Plan",
        verbose_name=_("plan"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    installments = models.PositiveSmallIntegerField(_("installments"), default=0)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("offer granted")
        verbose_name_plural = _("offers granted")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.contract} {self.get_kind_display()}"


__all__ = [
    "CancellationRequest",
    "Channel",
    "ContactChannel",
    "ContactLogEntry",
    "GrantStatus",
    "Kind",
    "OfferGrant",
    "OfferKind",
    "OfferResponse",
    "Reason",
    "RequestEvent",
    "RetentionOffer",
    "Status",
]
