"""Campaigns: write, preview, schedule, cancel, and the sweep that sends the due ones
through the outbox (docs/relations.md, "Campaigns").

Sending, exactly once per (campaign, customer):

1. the sweep claims a due scheduled campaign by compare-and-swap (scheduled → sending);
   a campaign left in "sending" by a crashed sweep is taken over once its claim is stale;
2. the segment's members are read at the sending date, within the campaign owner's book;
3. each member gets one ``CampaignRecipient`` row (unique per campaign and customer), with
   the outcome: queued, or skipped (opted out of marketing, channel switched off in their
   preferences, no address for the channel);
4. a queued member gets one outbox message with the dedupe key
   ``campaign:<campaign>:<customer>`` (unique in the outbox), so a sweep run twice, or
   two sweeps at once, send one message;
5. sending → sent, with the counts on the event.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.template import Context, Engine, TemplateSyntaxError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.tokens import token_make, token_read
from customers.models import Customer
from notifications.selectors import primary_contacts
from notifications.services import message_enqueue

from .campaign_models import (
    Campaign,
    CampaignChannel,
    CampaignRecipient,
    CampaignStatus,
    RecipientOutcome,
)
from .campaign_states import campaign_change, campaign_claim, campaign_finish
from .marketing_choices import unsubscribe_token, with_marketing_opt_out
from .segments import segment_members

logger = logging.getLogger("relations.campaigns")

MESSAGE_KIND = "campaign"
LANGUAGES = ("zh-hans", "en")
BATCH = 500
# A sweep holding a campaign longer than this is presumed dead; the next one takes over.
STALE_CLAIM = dt.timedelta(minutes=30)
LINK_PURPOSE = "campaign-link"
LINK_MAX_AGE = 365 * 86400

# Campaign texts are rendered by an engine of their own: the notification templates'
# syntax and filters, but no template loader, so {% include %} / {% extends %} cannot
# reach the site's templates.
_ENGINE = Engine(dirs=[], app_dirs=False, loaders=[])


def campaign_language(language: str) -> str:
    return language if language in LANGUAGES else "zh-hans"


def link_url_valid(value: str) -> bool:
    """A portal path ("/portal/...") or an https:// address."""
    if not value:
        return True
    parts = urlsplit(value)
    if parts.scheme == "https" and parts.netloc:
        return True
    return not parts.scheme and not parts.netloc and value.startswith("/")


def template_check(text: str) -> None:
    """Raise DomainError when ``text`` is not a valid template."""
    try:
        _ENGINE.from_string(text)
    except TemplateSyntaxError as exc:
        raise DomainError(
            _("The message is not a valid template: %(error)s") % {"error": exc}
        ) from exc


def render_text(text: str, context: dict[str, Any]) -> str:
    template = _ENGINE.from_string("{% autoescape off %}" + text + "{% endautoescape %}")
    return template.render(Context(context)).strip()


def customer_context(customer: Customer | None, *, link: str) -> dict[str, Any]:
    if customer is None:
        return {"customer_name": _("(sample customer)"), "customer_code": "", "link": link}
    manager = customer.account_manager
    return {
        "customer_name": customer.name,
        "customer_code": customer.code,
        "manager_name": (manager.get_full_name() or manager.get_username()) if manager else "",
        "link": link,
    }


@dataclass(frozen=True)
class RenderedCampaign:
    language: str
    subject: str
    body: str


def campaign_render(
    campaign: Campaign, *, language: str, customer: Customer | None, link: str = ""
) -> RenderedCampaign:
    context = customer_context(customer, link=link)
    return RenderedCampaign(
        language=language,
        subject=render_text(campaign.subject_for(language), context),
        body=render_text(campaign.body_for(language), context),
    )


@dataclass(frozen=True)
class SkipCount:
    outcome: str  # a RecipientOutcome other than queued
    count: int
    reason: str  # said for the campaign's channel: "no e-mail address", "no mobile number"


@dataclass(frozen=True)
class CampaignPreview:
    member_count: int
    sample: Customer | None
    rendered: list[RenderedCampaign]
    # Who would be sent the message today and who skipped, by the send's own rules.
    send_count: int = 0
    skipped: list[SkipCount] = field(default_factory=list)

    @property
    def skipped_count(self) -> int:
        return sum(s.count for s in self.skipped)


# The order the preview lists the reasons in.
SKIP_ORDER = (RecipientOutcome.OPTED_OUT, RecipientOutcome.CHANNEL_OFF, RecipientOutcome.NO_ADDRESS)


def skip_reason(outcome: str, channel: str) -> str:
    """Why a member is skipped, in words that fit the channel."""
    if outcome == RecipientOutcome.OPTED_OUT:
        return _("opted out of marketing")
    if outcome == RecipientOutcome.CHANNEL_OFF:
        return {
            CampaignChannel.EMAIL: _("e-mail switched off in their preferences"),
            CampaignChannel.SMS: _("SMS switched off in their preferences"),
            CampaignChannel.IN_APP: _("portal messages switched off in their preferences"),
        }[CampaignChannel(channel)]
    if outcome == RecipientOutcome.NO_ADDRESS:
        return _("no mobile number") if channel == CampaignChannel.SMS else _("no e-mail address")
    return str(RecipientOutcome(outcome).label)


def campaign_preview(campaign: Campaign, *, as_of: dt.date, viewer: Any) -> CampaignPreview:
    """How many members the segment has today (in the viewer's book), how many of them
    the message would reach and who would be skipped and why (``campaign_audience``, the
    send's own rules), and the message in each language, rendered for the first member."""
    members = segment_members(campaign.segment, as_of=as_of, viewer=viewer)
    sample = members.select_related("account_manager").first()
    link = settings.SITE_URL + "/portal/campaigns/…" if campaign.link_url else ""
    counts: dict[str, int] = {}
    for batch in campaign_audience(campaign, as_of=as_of, viewer=viewer):
        for member in batch:
            counts[member.outcome] = counts.get(member.outcome, 0) + 1
    return CampaignPreview(
        member_count=sum(counts.values()),
        sample=sample,
        rendered=[
            campaign_render(campaign, language=lang, customer=sample, link=link)
            for lang in LANGUAGES
        ],
        send_count=counts.get(RecipientOutcome.QUEUED, 0),
        skipped=[
            SkipCount(outcome=str(o), count=counts[o], reason=skip_reason(o, campaign.channel))
            for o in SKIP_ORDER
            if counts.get(o)
        ],
    )


# --- staff changes --------------------------------------------------------------------


def campaign_schedule(
    campaign: Campaign, *, at: dt.datetime, by: Any, now: dt.datetime
) -> Campaign:
    if at < now - dt.timedelta(minutes=5):
        raise DomainError(_("Choose a time from now on."))
    if campaign.channel == CampaignChannel.EMAIL and not (
        campaign.subject_zh_hans.strip() and campaign.subject_en.strip()
    ):
        raise DomainError(_("An e-mail needs a subject in both languages."))
    return campaign_change(
        campaign,
        CampaignStatus.SCHEDULED,
        by=by,
        kind="scheduled",
        updates={"scheduled_at": at},
        payload={"at": at.isoformat()},
    )


def campaign_unschedule(campaign: Campaign, *, by: Any) -> Campaign:
    return campaign_change(campaign, CampaignStatus.DRAFT, by=by, kind="unscheduled")


def campaign_cancel(campaign: Campaign, *, by: Any) -> Campaign:
    return campaign_change(campaign, CampaignStatus.CANCELLED, by=by, kind="cancelled")


# --- tracked links -------------------------------------------------------------------


def link_token(recipient_id: int) -> str:
    return token_make(purpose=LINK_PURPOSE, obj_id=recipient_id, max_age=LINK_MAX_AGE)


def link_recipient(token: str) -> CampaignRecipient:
    """Raises TokenInvalid / TokenExpired / CampaignRecipient.DoesNotExist."""
    recipient_id = int(token_read(token=token, purpose=LINK_PURPOSE))
    return CampaignRecipient.objects.select_related("campaign").get(pk=recipient_id)


def click_record(recipient: CampaignRecipient, *, now: dt.datetime) -> bool:
    """The landing page's beacon: the first click of a recipient counts, once."""
    return bool(
        CampaignRecipient.objects.filter(pk=recipient.pk, clicked_at__isnull=True).update(
            clicked_at=now
        )
    )


# --- the sweep -----------------------------------------------------------------------


def _outcome(channel: str, customer: Customer, address: str) -> str:
    if getattr(customer, "marketing_opted_out", False):
        return RecipientOutcome.OPTED_OUT
    wanted = {
        CampaignChannel.EMAIL: customer.notify_email,
        CampaignChannel.SMS: customer.notify_sms,
        CampaignChannel.IN_APP: customer.notify_in_app,
    }[CampaignChannel(channel)]
    if not wanted:
        return RecipientOutcome.CHANNEL_OFF
    if channel != CampaignChannel.IN_APP and not address:
        return RecipientOutcome.NO_ADDRESS
    return RecipientOutcome.QUEUED


def _message_context(campaign: Campaign, customer: Customer, recipient_id: int) -> dict[str, Any]:
    language = campaign_language(customer.language)
    link = ""
    if campaign.link_url:
        link = settings.SITE_URL + reverse("campaigns:go", args=[link_token(recipient_id)])
    rendered = campaign_render(campaign, language=language, customer=customer, link=link)
    context: dict[str, Any] = {
        "customer_name": customer.name,
        "campaign_subject": rendered.subject or campaign.name,
        "campaign_body": rendered.body,
        # The link once: where the text put it ({{ link }}), else below the text.
        "link_url": link if link and link not in rendered.body else "",
    }
    if campaign.channel != CampaignChannel.IN_APP:
        context["unsubscribe_url"] = settings.SITE_URL + reverse(
            "campaigns:unsubscribe", args=[unsubscribe_token(customer.pk)]
        )
    return context


def _address(channel: str, contacts: dict[str, str]) -> str:
    if channel == CampaignChannel.EMAIL:
        return contacts.get("email", "")
    if channel == CampaignChannel.SMS:
        return contacts.get("phone", "")
    return ""


@dataclass(frozen=True)
class AudienceMember:
    customer: Customer
    address: str  # the e-mail address or phone number the message goes to ("" in-app)
    outcome: str  # RecipientOutcome: queued, or why the member is skipped


def campaign_audience(
    campaign: Campaign, *, as_of: dt.date, viewer: Any
) -> Iterator[list[AudienceMember]]:
    """The segment's members at ``as_of`` in ``viewer``'s book, in batches by id, each with
    the address the message would go to and whether it is sent or why not (opted out of
    marketing, channel switched off, no address). The one rule of the send and of the
    preview: two queries per batch (the members with their latest marketing choice, their
    primary contacts)."""
    members = with_marketing_opt_out(
        segment_members(campaign.segment, as_of=as_of, viewer=viewer)
    ).select_related("account_manager")
    last = 0
    while True:
        batch = list(members.filter(pk__gt=last).order_by("pk")[:BATCH])
        if not batch:
            return
        last = batch[-1].pk
        contacts = primary_contacts(customer_ids={c.pk for c in batch})
        audience = []
        for c in batch:
            address = _address(campaign.channel, contacts.get(c.pk, {}))
            audience.append(
                AudienceMember(
                    customer=c, address=address, outcome=_outcome(campaign.channel, c, address)
                )
            )
        yield audience


def campaign_deliver(campaign: Campaign, *, as_of: dt.date) -> dict[str, int]:
    """Queue the campaign to every member at ``as_of`` (idempotent: run it again and
    nobody gets a second message). Returns the outcome counts of the run."""
    counts: dict[str, int] = {}
    for audience in campaign_audience(campaign, as_of=as_of, viewer=campaign.owner):
        by_pk = {m.customer.pk: m for m in audience}
        CampaignRecipient.objects.bulk_create(
            [
                CampaignRecipient(campaign=campaign, customer=m.customer, outcome=m.outcome)
                for m in audience
            ],
            ignore_conflicts=True,
        )
        # The rows as stored (a run before this one may have written them).
        pending = CampaignRecipient.objects.filter(
            campaign=campaign,
            customer_id__in=list(by_pk),
            outcome=RecipientOutcome.QUEUED,
            message__isnull=True,
        ).values_list("pk", "customer_id")
        for recipient_id, customer_id in pending:
            member = by_pk[customer_id]
            customer = member.customer
            message = message_enqueue(
                recipient_customer=customer,
                channel=campaign.channel,
                kind=MESSAGE_KIND,
                language=campaign_language(customer.language),
                context=_message_context(campaign, customer, recipient_id),
                dedupe_key=f"campaign:{campaign.pk}:{customer.pk}",
                to_address=member.address,
            )
            if message is not None:
                CampaignRecipient.objects.filter(pk=recipient_id, message__isnull=True).update(
                    message=message
                )
        for member in audience:
            counts[member.outcome] = counts.get(member.outcome, 0) + 1
    return counts


def _run(campaign_id: int, *, claimed_at: dt.datetime, now: dt.datetime) -> None:
    campaign = Campaign.objects.select_related("segment", "owner").get(pk=campaign_id)
    counts = campaign_deliver(campaign, as_of=timezone.localdate(now))
    campaign_finish(campaign_id, now=now, claimed_at=claimed_at, counts=counts)


def campaigns_send_due(*, now: dt.datetime) -> int:
    """The beat sweep: send every scheduled campaign due at ``now``, and take over the
    ones a dead sweep left in "sending". Returns how many campaigns this run sent."""
    sent = 0
    due = Campaign.objects.filter(
        status=CampaignStatus.SCHEDULED, scheduled_at__lte=now
    ).values_list("pk", flat=True)
    for pk in list(due):
        if campaign_claim(pk, now=now):
            _run(pk, claimed_at=now, now=now)
            sent += 1
    stale = Campaign.objects.filter(
        status=CampaignStatus.SENDING, claimed_at__lt=now - STALE_CLAIM
    ).values_list("pk", "claimed_at")
    for pk, old_claim in list(stale):
        # Take over by compare-and-swap on the old claim: one taker wins.
        with transaction.atomic():
            taken = Campaign.objects.filter(
                pk=pk, status=CampaignStatus.SENDING, claimed_at=old_claim
            ).update(claimed_at=now)
        if taken:
            logger.warning("campaign %s: taking over a stale send", pk)
            _run(pk, claimed_at=now, now=now)
            sent += 1
    return sent
