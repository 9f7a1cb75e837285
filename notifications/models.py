"""The outbox (every message is a row), its templates, and the rules that schedule reminders."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from customers.models import Tier


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    IN_APP = "in_app", _("In-app")


class MessageStatus(models.TextChoices):
    PENDING = "pending", _("Pending")  # waiting for its next attempt (next_attempt_at)
    SENDING = "sending", _("Sending")  # claimed by one worker; re-queued if it stays stuck
    SENT = "sent", _("Sent")  # handed to the provider (in-app: visible in the inbox)
    # SMS only, and only from a provider's delivery receipt (push or query): the phone got
    # it / the carrier gave up. Console and file SMS and e-mail never leave "sent".
    DELIVERED = "delivered", _("Delivered")
    UNDELIVERED = "undelivered", _("Not delivered")  # staff alerted, may send again
    FAILED = "failed", _("Failed")  # permanent failure or retries exhausted; staff alerted
    CANCELLED = "cancelled", _("Cancelled")  # no longer relevant, never sent


class MessageKind:
    """Kinds that the notifications app itself sends. Other apps may use any other kind
    that has a template (admin-edited or templates/emails/<kind>.*); see docs."""

    RENEWAL_REMINDER = "renewal_reminder"
    MESSAGE_FAILED = "message_failed"
    CARE_BIRTHDAY = "care_birthday"
    CARE_COMPANY_ANNIVERSARY = "care_company_anniversary"
    CARE_SPRING_FESTIVAL = "care_spring_festival"
    CARE_MID_AUTUMN = "care_mid_autumn"
    CARE_CONTRACT_ANNIVERSARY = "care_contract_anniversary"

    CARE = (
        CARE_BIRTHDAY,
        CARE_COMPANY_ANNIVERSARY,
        CARE_SPRING_FESTIVAL,
        CARE_MID_AUTUMN,
        CARE_CONTRACT_ANNIVERSARY,
    )


class Message(TimeStampedModel):
    """One message to one recipient on one channel: the audit trail and the outbox.

    ``dedupe_key`` is unique: whoever creates a message twice (two sweeps, a redelivered
    task) gets one row. Delivery claims a row by a compare-and-swap on ``status``.
    """

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="messages",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff recipient"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("contract"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="messages",
    )
    to_address = models.CharField(_("to"), max_length=254, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    kind = models.CharField(_("kind"), max_length=50)
    template_kind = models.CharField(_("template"), max_length=50)
    language = models.CharField(_("language"), max_length=10)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body_text = models.TextField(_("text"), blank=True)
    body_html = models.TextField(_("HTML"), blank=True)
    dedupe_key = models.CharField(_("dedupe key"), max_length=200, unique=True)
    status = models.CharField(
        _("status"), max_length=20, choices=MessageStatus.choices, default=MessageStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    provider_message_id = models.CharField(_("provider message id"), max_length=200, blank=True)
    # Who took the message: "aliyun" / "tencent" (their receipts can mark it delivered),
    # "console" / "file" (make run: stays "sent"), "" for e-mail and in-app.
    # db_default: the set-based reminder sweep inserts rows with its own SQL.
    provider = models.CharField(_("provider"), max_length=20, blank=True, default="", db_default="")
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # Sweeps store rows unrendered (rendered=False, with a small JSON context) so that the
    # daily sweep stays a set-based insert; delivery renders them, then stores the result.
    rendered = models.BooleanField(_("rendered"), default=True)
    context = models.JSONField(_("template context"), default=dict, blank=True)
    # Renewal reminders: which term (its end date) and which offset; late = sent after
    # its offset day (catch-up after downtime or import).
    term_end = models.DateField(_("term end"), null=True, blank=True)
    offset_days = models.PositiveSmallIntegerField(_("offset (days)"), null=True, blank=True)
    late = models.BooleanField(_("late"), default=False)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-id"]
        constraints = [
            # Exactly one renewal reminder per (contract term, offset, channel, recipient),
            # whatever the dedupe key looks like.
            models.UniqueConstraint(
                fields=["contract", "term_end", "offset_days", "channel", "customer"],
                condition=models.Q(kind="renewal_reminder"),
                name="one_reminder_per_term_offset_channel_recipient",
            )
        ]
        indexes = [
            # The delivery sweep: due pending rows, oldest first.
            models.Index(
                fields=["next_attempt_at"],
                name="message_due",
                condition=models.Q(status="pending"),
            ),
            # The stuck-claim sweeper.
            models.Index(
                fields=["claimed_at"],
                name="message_sending",
                condition=models.Q(status="sending"),
            ),
            models.Index(fields=["contract", "created_at"], name="message_contract"),
            models.Index(fields=["customer", "channel", "created_at"], name="message_inbox"),
            models.Index(
                fields=["user", "created_at"],
                name="message_staff_unread",
                condition=models.Q(channel="in_app", read_at__isnull=True),
            ),
            models.Index(fields=["status", "created_at"], name="message_status"),
            # Receipts: a push or a query names the provider's id (BizId, SerialNo).
            models.Index(
                fields=["provider_message_id"],
                name="message_provider_id",
                condition=models.Q(channel="sms"),
            ),
            # The receipt poll: SMS handed to a provider and still without a receipt.
            models.Index(
                fields=["provider", "sent_at"],
                name="message_awaiting_receipt",
                condition=models.Q(status="sent", channel="sms"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_label or '-'}"

    @property
    def recipient_label(self) -> str:
        """Who the message is for, whatever kind of recipient it has: the address (email,
        SMS), else the customer (portal inbox) or the staff user (bell), else "" (a row
        with no recipient). Every listing shows this instead of guessing which one is set:
        a staff alert has no customer, and ``m.customer.name`` as a filter argument raises
        VariableDoesNotExist in a template."""
        if self.to_address:
            return self.to_address
        if self.customer is not None:  # None without a query when customer_id is None
            return self.customer.name
        if self.user is not None:
            return self.user.get_full_name() or self.user.get_username()
        return ""


class MessageAttempt(models.Model):
    """One delivery attempt, kept for the timeline and for diagnosing a provider."""

    message = models.ForeignKey(
        Message, verbose_name=_("message"), on_delete=models.CASCADE, related_name="attempt_log"
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    number = models.PositiveSmallIntegerField(_("attempt"))
    ok = models.BooleanField(_("delivered"))
    permanent = models.BooleanField(_("permanent failure"), default=False)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["message", "number"]

    def __str__(self) -> str:
        return f"{self.message_id}#{self.number} {'ok' if self.ok else 'error'}"


class MessageTemplate(TimeStampedModel):
    """An admin-edited template; without one, templates/emails/<kind>.* is used."""

    kind = models.CharField(_("kind"), max_length=50)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    subject = models.CharField(
        _("subject"),
        max_length=300,
        blank=True,
        help_text=_("Django template syntax, e.g. {{ contract_number }}."),
    )
    body_text = models.TextField(_("plain text / SMS / in-app body"))
    body_html = models.TextField(
        _("HTML body"), blank=True, help_text=_("Email only; left empty, the text is used.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["kind", "language", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "language", "channel"], name="one_template_per_kind_lang_channel"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} / {self.language} / {self.channel}"

    def clean(self) -> None:
        from django.template import Engine, TemplateSyntaxError

        engine = Engine.get_default()
        for field in ("subject", "body_text", "body_html"):
            try:
                engine.from_string(getattr(self, field) or "")
            except TemplateSyntaxError as exc:
                raise ValidationError({field: str(exc)}) from exc


def offsets_parse(value: str) -> list[int]:
    """'30, 15,7' → [30, 15, 7] (descending, unique). Raises ValueError."""
    out = sorted({int(p) for p in value.replace(" ", "").split(",") if p}, reverse=True)
    if not out or any(o < 1 or o > 365 for o in out):
        raise ValueError(value)
    return out


class ReminderRule(TimeStampedModel):
    """Offsets before a contract's end for one plan and/or tier.

    The most specific active rule wins: plan+tier, then plan, then tier, then the
    default (settings.RENEWDESK['REMINDER_OFFSETS'], 30/15/7).

    The offsets are a selling choice, not the law: the automatic-renewal notice a
    customer's rules require (compliance's rule sets, per customer country/region and per
    contract) is added by notifications/reminders/statutory.py where the offsets miss its
    window. The admin warns when they do (``offsets_missing_notice_windows``).
    """

    plan = models.ForeignKey(
        "contracts.Plan",
        verbose_name=_("plan"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reminder_rules",
    )
    tier = models.CharField(_("tier"), max_length=1, choices=Tier.choices, blank=True)
    offsets = models.CharField(
        _("offsets (days before end)"),
        max_length=100,
        default="30,15,7",
        help_text=_("Comma-separated, e.g. 30,15,7."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("reminder rule")
        verbose_name_plural = _("reminder rules")
        ordering = ["plan", "tier"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "tier"],
                name="one_reminder_rule_per_plan_tier",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return f"{self.plan or _('any plan')} / {self.tier or _('any tier')}: {self.offsets}"

    @property
    def offset_list(self) -> list[int]:
        return offsets_parse(self.offsets)

    def clean(self) -> None:
        try:
            offsets = offsets_parse(self.offsets)
        except ValueError as exc:
            raise ValidationError(
                {"offsets": _("Give whole numbers of days between 1 and 365, e.g. 30,15,7.")}
            ) from exc
        self.offsets = ",".join(str(o) for o in offsets)


class PersonalOffer(TimeStampedModel):
    """A personal-offer block added to renewal reminders for customers of one tier."""

    tier = models.CharField(_("tier"), max_length=1, choices=Tier.choices, default=Tier.A)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("personal offer")
        verbose_name_plural = _("personal offers")
        ordering = ["tier", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["tier", "language"],
                condition=models.Q(is_active=True),
                name="one_active_offer_per_tier_language",
            )
        ]

    def __str__(self) -> str:
        return f"{self.tier} / {self.language}: {self.title}"


class FestivalKind(models.TextChoices):
    SPRING_FESTIVAL = "spring_festival", _("Spring Festival")
    MID_AUTUMN = "mid_autumn", _("Mid-Autumn Festival")


class FestivalDate(models.Model):
    """Lunar festivals move every year: their Gregorian dates are data."""

    kind = models.CharField(_("festival"), max_length=20, choices=FestivalKind.choices)
    date = models.DateField(_("date"))

    class Meta:
        verbose_name = _("festival date")
        verbose_name_plural = _("festival dates")
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["kind", "date"], name="one_festival_day")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date}"


class ReminderSchedule(models.Model):
    """When a contract term's next renewal reminder is due (``due_on`` None: none is).

    One narrow row per contract, kept by notifications.reminders.schedule_state; the daily
    sweep reads the rows due by the partial index. A table of its own, not a column on the
    contract: moving a schedule touches two small indexes here instead of the contract
    table's twenty (8,000 contract rows took 2.3-3.9 s to update, three to five times the
    reminders' own insert). Database triggers (migration 0006) set ``due_on`` to date.min
    ("work it out at the next sweep") when a contract is inserted or its dates, status,
    auto-renewal, plan, customer, successor or its customer's tier change, by any path.
    """

    contract = models.OneToOneField(
        "contracts.Contract",
        verbose_name=_("contract"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="reminder_schedule",
    )
    due_on = models.DateField(_("next reminder due on"), null=True, blank=True)

    class Meta:
        verbose_name = _("reminder schedule")
        verbose_name_plural = _("reminder schedules")
        indexes = [
            models.Index(
                fields=["due_on"],
                name="reminder_schedule_due",
                condition=models.Q(due_on__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.contract_id}: {self.due_on}"


# The SMS templates per provider and the message event table live in their own module
# (this one is long enough); imported here so that Django finds them.
from .delivery_models import MessageEvent, SmsProvider, SmsTemplate  # noqa: E402

__all__ = [
    "Channel",
    "FestivalDate",
    "FestivalKind",
    "Message",
    "MessageAttempt",
    "MessageEvent",
    "MessageKind",
    "MessageStatus",
    "MessageTemplate",
    "PersonalOffer",
    "ReminderRule",
    "ReminderSchedule",
    "SmsProvider",
    "SmsTemplate",
    "offsets_parse",
]
