"""Campaigns (docs/relations.md, "Campaigns"): a message written once per language, sent to
a saved segment's members on one channel through the outbox; who got it (or why not) and
who clicked its link; the customers' marketing opt-out ledger."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.events import EventBase
from core.models import TimeStampedModel


class CampaignChannel(models.TextChoices):
    # The values are the outbox's channels (notifications.models.Channel).
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    IN_APP = "in_app", _("Portal message")


class CampaignStatus(models.TextChoices):
    # With their own context: "Scheduled" alone is the contract status, 待生效 in Chinese.
    DRAFT = "draft", pgettext_lazy("campaign status", "Draft")
    SCHEDULED = "scheduled", pgettext_lazy("campaign status", "Scheduled")
    SENDING = "sending", pgettext_lazy("campaign status", "Sending")
    SENT = "sent", pgettext_lazy("campaign status", "Sent")
    CANCELLED = "cancelled", pgettext_lazy("campaign status", "Cancelled")


class Campaign(TimeStampedModel):
    """One message to a segment. Subject and body are templates in the notification
    templates' syntax ({{ customer_name }}, {{ link }}), one pair per language; each
    member gets the language they prefer. Status changes only in
    relations.campaign_states."""

    name = models.CharField(_("name"), max_length=120)
    segment = models.ForeignKey(
        "relations.Segment",
        verbose_name=_("segment"),
        on_delete=models.PROTECT,
        related_name="campaigns",
    )
    channel = models.CharField(_("channel"), max_length=10, choices=CampaignChannel.choices)
    subject_zh_hans = models.CharField(_("subject (Chinese)"), max_length=200, blank=True)
    body_zh_hans = models.TextField(_("message (Chinese)"), max_length=4000)
    subject_en = models.CharField(_("subject (English)"), max_length=200, blank=True)
    body_en = models.TextField(_("message (English)"), max_length=4000)
    # Where the message's link leads (after the tracked landing page); empty: no link.
    link_url = models.CharField(
        _("link"),
        max_length=500,
        blank=True,
        help_text=_("A portal path such as /portal/ or an https:// address; empty for none."),
    )
    # "Renewals after it" counts contracts signed or renewed this many days after sending.
    renewal_window_days = models.PositiveSmallIntegerField(
        _("count renewals within (days)"),
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    scheduled_at = models.DateTimeField(_("send at"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=CampaignStatus.choices,
        default=CampaignStatus.DRAFT,
        editable=False,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="campaigns",
    )
    # The sweep that is sending it (compare-and-swap); a stale claim is taken over.
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True, editable=False)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["scheduled_at"],
                condition=models.Q(status__in=["scheduled", "sending"]),
                name="campaign_due",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def subject_for(self, language: str) -> str:
        return self.subject_en if language == "en" else self.subject_zh_hans

    def body_for(self, language: str) -> str:
        return self.body_en if language == "en" else self.body_zh_hans


class CampaignEvent(EventBase):
    """A campaign's status history (relations.campaign_states)."""

    SUBJECT_FIELD = "campaign"

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="events"
    )

    class Meta(EventBase.Meta):
        verbose_name = _("campaign event")
        verbose_name_plural = _("campaign events")

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.from_status}→{self.to_status}"


class RecipientOutcome(models.TextChoices):
    QUEUED = "queued", _("Queued in the outbox")
    OPTED_OUT = "opted_out", _("Skipped: opted out of marketing")
    CHANNEL_OFF = "channel_off", _("Skipped: channel switched off")
    NO_ADDRESS = "no_address", _("Skipped: no address for the channel")


class CampaignRecipient(models.Model):
    """A segment member at send time: one row per (campaign, customer), the sweep's
    dedupe with the message's own key ``campaign:<campaign>:<customer>``. Written when
    the campaign is sent; ``clicked_at`` is set once, by the landing page's beacon."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="recipients"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="campaign_receipts",
    )
    outcome = models.CharField(_("outcome"), max_length=12, choices=RecipientOutcome.choices)
    message = models.OneToOneField(
        "notifications.Message",
        verbose_name=_("message"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="campaign_recipient",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    clicked_at = models.DateTimeField(_("clicked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("campaign recipient")
        verbose_name_plural = _("campaign recipients")
        ordering = ["campaign", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "customer"], name="campaign_recipient_once")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} → {self.customer_id}"


class MarketingChoiceSource(models.TextChoices):
    PORTAL = "portal", _("Portal preferences")
    EMAIL_LINK = "email_link", _("Unsubscribe link in an e-mail")
    STAFF = "staff", _("Staff on behalf of the customer")


class MarketingChoice(models.Model):
    """The marketing opt-out ledger: each row is one choice (out, or back in). The latest
    row of a customer is their choice; none means they receive campaigns. Rows are never
    changed or deleted."""

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="marketing_choices",
    )
    opted_out = models.BooleanField(_("opted out of marketing"))
    source = models.CharField(_("source"), max_length=12, choices=MarketingChoiceSource.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("marketing choice")
        verbose_name_plural = _("marketing choices")
        ordering = ["customer", "-at", "-id"]
        indexes = [models.Index(fields=["customer", "-at", "-id"], name="marketing_choice_latest")]

    def __str__(self) -> str:
        return f"{self.customer_id} {'out' if self.opted_out else 'in'} {self.at:%Y-%m-%d}"
