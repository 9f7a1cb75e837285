"""A campaign's status in words has its own context: in Chinese a scheduled campaign is
已排期, never the contract status 待生效 that plain "Scheduled" translates to."""

from __future__ import annotations

import pytest
from django.utils import translation

from contracts.models import ContractStatus
from relations.campaign_models import Campaign, CampaignStatus


@pytest.mark.date_independent
@pytest.mark.parametrize(
    ("status", "english", "chinese"),
    [
        (CampaignStatus.DRAFT, "Draft", "草稿"),
        (CampaignStatus.SCHEDULED, "Scheduled", "已排期"),
        (CampaignStatus.SENDING, "Sending", "发送中"),
        (CampaignStatus.SENT, "Sent", "已发送"),
        (CampaignStatus.CANCELLED, "Cancelled", "已取消"),
    ],
)
def test_each_status_reads_as_a_campaign_status_in_both_languages(status, english, chinese):
    campaign = Campaign(status=status)

    with translation.override("en"):
        assert campaign.get_status_display() == english
    with translation.override("zh-hans"):
        assert campaign.get_status_display() == chinese
        assert str(CampaignStatus(status).label) == chinese


@pytest.mark.date_independent
def test_a_scheduled_contract_keeps_its_own_word():
    with translation.override("zh-hans"):
        assert str(ContractStatus.SCHEDULED.label) == "待生效"
        assert str(CampaignStatus.SCHEDULED.label) != str(ContractStatus.SCHEDULED.label)
