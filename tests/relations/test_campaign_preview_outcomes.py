"""The campaign preview says how many members will actually be sent the message and how
many are skipped, and why (opted out of marketing, channel switched off, no e-mail
address, no mobile number), by the rules the send applies: the same selector, so the
preview's counts are the outcomes the send writes for the same day. Fixed dates."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from relations.campaign_models import Campaign, CampaignRecipient, RecipientOutcome
from relations.campaigns import campaign_deliver, campaign_preview
from relations.marketing_choices import marketing_choose
from relations.segment_criteria import SegmentCriteria
from relations.segment_models import Segment
from tests.factories import ContactFactory, CustomerFactory, StaffFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2028, 2, 29)
NOW = timezone.make_aware(dt.datetime(2028, 2, 29, 9, 0))


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world():
    """Tier A, five members: Ready (e-mail and phone), Opted Out (has both, opted out of
    marketing), No Email (phone only), No Phone (e-mail only), Mail Off (e-mail switched off
    in the preferences)."""
    manager = StaffFactory()
    segment = Segment.objects.create(
        name="Gold", owner=manager, criteria=SegmentCriteria(tiers=("A",)).to_json()
    )

    def member(name, email="", phone="", **kwargs):
        customer = CustomerFactory(
            account_manager=manager, tier="A", name=name, notify_sms=True, **kwargs
        )
        if email or phone:
            ContactFactory(customer=customer, email=email, phone=phone)
        return customer

    member("A Ready", "ready@example.com", "13800000001")
    opted = member("B Opted Out", "opted@example.com", "13800000002")
    marketing_choose(customer=opted, opted_out=True, source="portal")
    member("C No Email", "", "13800000003")
    member("D No Phone", "nophone@example.com", "")
    member("E Mail Off", "off@example.com", "13800000005", notify_email=False)
    return manager, segment


def campaign_for(manager, segment, channel):
    return Campaign.objects.create(
        name="Spring",
        segment=segment,
        channel=channel,
        subject_zh_hans="春季优惠",
        body_zh_hans="您好 {{ customer_name }}",
        subject_en="Spring offer",
        body_en="Hello {{ customer_name }}",
        owner=manager,
    )


def reasons(preview):
    return {s.outcome: s.count for s in preview.skipped}


def test_an_email_preview_counts_who_is_sent_and_who_is_skipped_and_why(world):
    manager, segment = world
    campaign = campaign_for(manager, segment, "email")

    preview = campaign_preview(campaign, as_of=DAY, viewer=manager)

    assert preview.member_count == 5
    assert preview.send_count == 2  # Ready and No Phone
    assert preview.skipped_count == 3
    assert reasons(preview) == {
        RecipientOutcome.OPTED_OUT: 1,
        RecipientOutcome.CHANNEL_OFF: 1,
        RecipientOutcome.NO_ADDRESS: 1,
    }
    assert [str(s.reason) for s in preview.skipped] == [
        "opted out of marketing",
        "e-mail switched off in their preferences",
        "no e-mail address",
    ]


def test_an_sms_preview_names_the_missing_phone(world):
    manager, segment = world
    campaign = campaign_for(manager, segment, "sms")

    preview = campaign_preview(campaign, as_of=DAY, viewer=manager)

    assert preview.send_count == 3  # Ready, No Email, Mail Off
    assert [(s.outcome, s.count, str(s.reason)) for s in preview.skipped] == [
        (RecipientOutcome.OPTED_OUT, 1, "opted out of marketing"),
        (RecipientOutcome.NO_ADDRESS, 1, "no mobile number"),
    ]


@pytest.mark.parametrize("channel", ["email", "sms", "in_app"])
def test_the_preview_counts_are_the_outcomes_the_send_writes(world, channel):
    manager, segment = world
    campaign = campaign_for(manager, segment, channel)

    preview = campaign_preview(campaign, as_of=DAY, viewer=manager)
    campaign_deliver(campaign, as_of=DAY)

    written = {
        outcome: CampaignRecipient.objects.filter(campaign=campaign, outcome=outcome).count()
        for outcome in RecipientOutcome.values
    }
    assert written[RecipientOutcome.QUEUED] == preview.send_count
    assert {k: v for k, v in written.items() if v and k != RecipientOutcome.QUEUED} == reasons(
        preview
    )


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "en",
            [
                "The segment has 5 members today.",
                "Will be sent: 2",
                "Skipped: 3",
                "opted out of marketing: 1",
                "no e-mail address: 1",
                "e-mail switched off in their preferences: 1",
            ],
        ),
        (
            "zh-hans",
            [
                "将发送：2",
                "跳过：3",
                "已退订营销信息：1",
                "没有电子邮件地址：1",
                "已在偏好设置中关闭电子邮件：1",
            ],
        ),
    ],
)
def test_the_campaign_page_shows_the_counts_in_the_user_language(world, language, words):
    manager, segment = world
    campaign = campaign_for(manager, segment, "email")
    manager.language = language
    manager.save(update_fields=["language"])
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(manager)

    page = client.get(reverse("relations:campaign", args=[campaign.pk])).content.decode()

    for word in words:
        assert word in page
