"""Campaigns: scheduling, the sweep that sends the due ones through the outbox (exactly
once, opt-out and channel preferences respected, both languages), the tracked click,
the report, and an e-mail delivered to a real SMTP server. Real PostgreSQL; every date is
passed or frozen."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from contracts.models import ContractStatus
from core.errors import DomainError, InvalidTransition
from notifications.models import Message, MessageStatus
from notifications.services import message_mark_read, outbox_deliver_due
from relations.campaign_models import (
    Campaign,
    CampaignEvent,
    CampaignRecipient,
    CampaignStatus,
    RecipientOutcome,
)
from relations.campaign_report import campaign_report
from relations.campaigns import (
    campaign_cancel,
    campaign_deliver,
    campaign_preview,
    campaign_schedule,
    campaign_unschedule,
    campaigns_send_due,
    click_record,
    link_recipient,
)
from relations.marketing_choices import marketing_choose, marketing_opted_out
from relations.segment_criteria import SegmentCriteria
from relations.segment_models import Segment
from tests.factories import ContactFactory, ContractFactory, CustomerFactory, StaffFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2028, 2, 29)


def at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


NOW = at(DAY, 9)


def world(*, channel="email", n=2):
    manager = StaffFactory()
    segment = Segment.objects.create(
        name="Gold", owner=manager, criteria=SegmentCriteria(tiers=("A",)).to_json()
    )
    customers = []
    for i in range(n):
        c = CustomerFactory(
            account_manager=manager,
            tier="A",
            name=f"Gold {i}",
            language="zh-hans" if i % 2 else "en",
            notify_sms=True,
        )
        ContactFactory(customer=c, email=f"gold{i}@example.com", phone=f"1380000000{i}")
        customers.append(c)
    CustomerFactory(account_manager=manager, tier="C", name="Bronze")  # not in the segment
    campaign = Campaign.objects.create(
        name="Spring offer",
        segment=segment,
        channel=channel,
        subject_zh_hans="{{ customer_name }}，春季优惠",
        body_zh_hans="尊敬的 {{ customer_name }}：续约享九折。{{ link }}",
        subject_en="Spring offer for {{ customer_name }}",
        body_en="Dear {{ customer_name }}, renew now for 10% off.",
        link_url="/portal/",
        owner=manager,
    )
    return manager, segment, customers, campaign


def scheduled(campaign, manager, when=NOW):
    return campaign_schedule(campaign, at=when, by=manager, now=when - dt.timedelta(hours=1))


def test_preview_counts_members_and_renders_both_languages_for_a_sample():
    manager, _, customers, campaign = world()

    preview = campaign_preview(campaign, as_of=DAY, viewer=manager)

    assert preview.member_count == 2 and preview.sample == customers[0]
    zh, en = preview.rendered
    assert (zh.language, en.language) == ("zh-hans", "en")
    assert zh.subject == "Gold 0，春季优惠" and "尊敬的 Gold 0" in zh.body
    assert en.subject == "Spring offer for Gold 0" and en.body.startswith("Dear Gold 0,")


def test_schedule_unschedule_cancel_follow_the_table_and_write_events():
    manager, _, _, campaign = world()

    scheduled(campaign, manager)
    assert campaign.status == CampaignStatus.SCHEDULED and campaign.scheduled_at == NOW
    campaign_unschedule(campaign, by=manager)
    assert campaign.status == CampaignStatus.DRAFT
    campaign_cancel(campaign, by=manager)
    assert campaign.status == CampaignStatus.CANCELLED
    with pytest.raises(InvalidTransition):
        scheduled(campaign, manager)
    kinds = list(CampaignEvent.objects.filter(campaign=campaign).values_list("kind", "to_status"))
    assert kinds == [
        ("scheduled", "scheduled"),
        ("unscheduled", "draft"),
        ("cancelled", "cancelled"),
    ]


def test_an_email_campaign_needs_subjects_and_a_time_from_now_on():
    manager, _, _, campaign = world()
    campaign.subject_en = ""
    with pytest.raises(DomainError):
        scheduled(campaign, manager)
    campaign.subject_en = "Hi"
    with pytest.raises(DomainError):
        campaign_schedule(campaign, at=NOW, by=manager, now=NOW + dt.timedelta(hours=1))


def test_the_sweep_sends_a_due_campaign_once_in_each_members_language():
    manager, _, customers, campaign = world()
    scheduled(campaign, manager)

    assert campaigns_send_due(now=NOW - dt.timedelta(minutes=1)) == 0  # not due yet
    assert campaigns_send_due(now=NOW) == 1
    assert campaigns_send_due(now=NOW + dt.timedelta(minutes=5)) == 0

    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT and campaign.sent_at is not None
    messages = {m.customer_id: m for m in Message.objects.filter(kind="campaign")}
    assert set(messages) == {c.pk for c in customers}
    en, zh = messages[customers[0].pk], messages[customers[1].pk]
    assert en.subject == "Spring offer for Gold 0" and en.language == "en"
    assert zh.subject == "Gold 1，春季优惠" and zh.language == "zh-hans"
    assert en.dedupe_key == f"campaign:{campaign.pk}:{customers[0].pk}"
    # The link is the tracked one; the e-mail has an unsubscribe link.
    assert (
        "/portal/campaigns/go/" in en.body_text and "/portal/campaigns/unsubscribe/" in en.body_text
    )
    assert (
        "/portal/campaigns/go/" in en.body_html and "/portal/campaigns/unsubscribe/" in en.body_html
    )
    # Chinese body placed the link itself: it is not repeated below the text.
    assert zh.body_text.count("/portal/campaigns/go/") == 1
    sent = CampaignEvent.objects.get(campaign=campaign, to_status="sent")
    assert sent.payload == {"queued": 2}


def test_opted_out_channel_off_and_no_address_are_skipped():
    manager, _, customers, campaign = world(n=4)
    marketing_choose(customer=customers[0], opted_out=True, source="portal")
    customers[1].notify_email = False
    customers[1].save()
    customers[2].contacts.update(email="")
    scheduled(campaign, manager)

    campaigns_send_due(now=NOW)

    outcomes = dict(CampaignRecipient.objects.values_list("customer_id", "outcome"))
    assert outcomes == {
        customers[0].pk: RecipientOutcome.OPTED_OUT,
        customers[1].pk: RecipientOutcome.CHANNEL_OFF,
        customers[2].pk: RecipientOutcome.NO_ADDRESS,
        customers[3].pk: RecipientOutcome.QUEUED,
    }
    assert list(Message.objects.filter(kind="campaign").values_list("customer_id", flat=True)) == [
        customers[3].pk
    ]


def test_opting_back_in_counts_the_latest_choice_and_repeats_write_nothing():
    customer = CustomerFactory()
    assert not marketing_opted_out(customer)
    assert marketing_choose(customer=customer, opted_out=True, source="portal")
    assert marketing_choose(customer=customer, opted_out=True, source="email_link") is None
    assert marketing_opted_out(customer)
    assert marketing_choose(customer=customer, opted_out=False, source="portal")
    assert not marketing_opted_out(customer)
    assert customer.marketing_choices.count() == 2


def test_delivering_again_after_a_crash_sends_nobody_twice():
    manager, _, customers, campaign = world(n=3)
    # A first run that stopped after one member (the recipient row exists, no message).
    CampaignRecipient.objects.create(
        campaign=campaign, customer=customers[0], outcome=RecipientOutcome.QUEUED
    )
    campaign_deliver(campaign, as_of=DAY)
    campaign_deliver(campaign, as_of=DAY)

    assert Message.objects.filter(kind="campaign").count() == 3
    assert CampaignRecipient.objects.filter(message__isnull=False).count() == 3


def test_a_stale_sending_campaign_is_taken_over():
    manager, _, customers, campaign = world()
    scheduled(campaign, manager)
    Campaign.objects.filter(pk=campaign.pk).update(status="sending", claimed_at=NOW)

    assert campaigns_send_due(now=NOW + dt.timedelta(minutes=10)) == 0  # still held
    assert campaigns_send_due(now=NOW + dt.timedelta(hours=1)) == 1
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT
    assert Message.objects.filter(kind="campaign").count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_send_each_member_one_message():
    manager, _, customers, campaign = world(n=6)
    scheduled(campaign, manager)
    barrier = threading.Barrier(2)
    results: list[int] = []

    def sweep() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(campaigns_send_due(now=NOW))
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert sorted(results) == [0, 1]
    assert Message.objects.filter(kind="campaign").count() == 6
    assert CampaignEvent.objects.filter(campaign=campaign, to_status="sending").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_deliveries_of_the_same_campaign_at_once_make_one_message_each():
    manager, _, customers, campaign = world(n=6)
    barrier = threading.Barrier(2)

    def deliver() -> None:
        try:
            barrier.wait(timeout=10)
            campaign_deliver(Campaign.objects.get(pk=campaign.pk), as_of=DAY)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert Message.objects.filter(kind="campaign").count() == 6
    assert CampaignRecipient.objects.count() == 6
    assert CampaignRecipient.objects.filter(message__isnull=True).count() == 0


def test_a_click_counts_once_and_the_report_adds_it_up():
    manager, _, customers, campaign = world(channel="in_app", n=3)
    scheduled(campaign, manager)
    campaigns_send_due(now=NOW)
    first, second, third = CampaignRecipient.objects.order_by("customer__name")
    token = first.message.body_text.split("/portal/campaigns/go/")[1].split("/")[0]
    assert link_recipient(token) == first

    assert click_record(first, now=NOW) is True
    assert click_record(first, now=NOW + dt.timedelta(hours=1)) is False
    message_mark_read(message=second.message, customer=second.customer)
    # A renewal signed 10 days later by the third recipient, and one too late for the window.
    with time_machine.travel(NOW + dt.timedelta(days=10), tick=False):
        ContractFactory(
            customer=third.customer,
            status=ContractStatus.ACTIVE,
            end_date=dt.date(2029, 3, 10),
            signed_at=timezone.now(),
        )
    ContractFactory(
        customer=second.customer,
        status=ContractStatus.ACTIVE,
        end_date=dt.date(2029, 3, 10),
        signed_at=NOW + dt.timedelta(days=90),
    )
    campaign.refresh_from_db()

    report = campaign_report(campaign)

    assert (report.members, report.queued, report.sent) == (3, 3, 3)
    assert (report.opened, report.clicked) == (2, 1)
    assert (report.renewed_customers, report.renewed_contracts) == (1, 1)
    assert (report.failed, report.waiting, report.opted_out) == (0, 0, 0)


def test_an_email_campaign_reaches_a_real_smtp_server(smtp_server):
    manager, _, customers, campaign = world(n=1)
    scheduled(campaign, manager)
    campaigns_send_due(now=NOW)

    summary = outbox_deliver_due()

    assert summary.sent == 1
    message = Message.objects.get(kind="campaign")
    assert message.status == MessageStatus.SENT
    (envelope,) = smtp_server.messages
    assert envelope.rcpt_tos == ["gold0@example.com"]
    raw = envelope.content.decode()
    assert "text/html" in raw and "/portal/campaigns/unsubscribe/" in raw
    report = campaign_report(Campaign.objects.get(pk=campaign.pk))
    assert (report.sent, report.opened, report.clicked) == (1, 0, 0)
