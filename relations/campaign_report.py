"""What a campaign did: who it reached (from the outbox's message statuses), who opened
and clicked, and the renewals that followed (docs/relations.md, "Campaigns").

- sent: messages handed over (e-mail accepted by the SMTP server, SMS taken by the
  provider, portal message in the inbox), delivered or not since;
- delivered: SMS with a provider's delivery receipt; failed: failed, or not delivered;
- opened: a portal message the customer marked read, or any recipient who clicked (e-mail
  opens are not tracked by a pixel: privacy, and GET never changes state);
- clicked: recipients whose landing page recorded the click (once each);
- renewals: recipients' contracts signed, or renewals created, within the campaign's
  window after it was sent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from contracts.models import Contract
from notifications.models import MessageStatus

from .campaign_models import Campaign, CampaignChannel, CampaignRecipient, RecipientOutcome
from .teams import team_scope

S = MessageStatus


def campaigns_visible_to(user: Any) -> QuerySet[Campaign]:
    """A manager's own campaigns; a team lead's team's (relations.teams)."""
    return team_scope(user).apply(
        Campaign.objects.select_related("segment", "owner"), field="owner"
    )


@dataclass(frozen=True)
class CampaignReport:
    members: int
    queued: int
    opted_out: int
    channel_off: int
    no_address: int
    waiting: int
    sent: int
    delivered: int
    failed: int
    opened: int
    clicked: int
    renewed_customers: int
    renewed_contracts: int
    window_end: dt.datetime | None


def campaign_report(campaign: Campaign) -> CampaignReport:
    recipients = CampaignRecipient.objects.filter(campaign=campaign)
    opened_q = Q(clicked_at__isnull=False)
    if campaign.channel == CampaignChannel.IN_APP:
        opened_q |= Q(message__read_at__isnull=False)
    figures = recipients.aggregate(
        members=Count("pk"),
        queued=Count("pk", filter=Q(outcome=RecipientOutcome.QUEUED)),
        opted_out=Count("pk", filter=Q(outcome=RecipientOutcome.OPTED_OUT)),
        channel_off=Count("pk", filter=Q(outcome=RecipientOutcome.CHANNEL_OFF)),
        no_address=Count("pk", filter=Q(outcome=RecipientOutcome.NO_ADDRESS)),
        waiting=Count("pk", filter=Q(message__status__in=[S.PENDING, S.SENDING])),
        sent=Count("pk", filter=Q(message__status__in=[S.SENT, S.DELIVERED, S.UNDELIVERED])),
        delivered=Count("pk", filter=Q(message__status=S.DELIVERED)),
        failed=Count("pk", filter=Q(message__status__in=[S.FAILED, S.UNDELIVERED])),
        opened=Count("pk", filter=opened_q),
        clicked=Count("pk", filter=Q(clicked_at__isnull=False)),
    )
    renewed_customers = renewed_contracts = 0
    window_end = None
    if campaign.sent_at is not None:
        window_end = campaign.sent_at + dt.timedelta(days=campaign.renewal_window_days)
        window = (campaign.sent_at, window_end)
        contracts = Contract.objects.filter(
            customer_id__in=recipients.filter(outcome=RecipientOutcome.QUEUED).values("customer_id")
        ).filter(
            Q(signed_at__range=window) | Q(predecessor__isnull=False, created_at__range=window)
        )
        totals = contracts.aggregate(
            contracts=Count("pk"), customers=Count("customer_id", distinct=True)
        )
        renewed_customers, renewed_contracts = totals["customers"], totals["contracts"]
    return CampaignReport(
        **figures,
        renewed_customers=renewed_customers,
        renewed_contracts=renewed_contracts,
        window_end=window_end,
    )
