"""Campaign pages: staff write, preview (both languages), schedule, cancel, report; the
customer's tracked link (GET writes nothing), the click beacon (POST with CSRF), the
unsubscribe confirmation and the portal's one-click opt-out. Both languages; explicit
dates."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from relations.campaign_models import Campaign, CampaignRecipient, CampaignStatus, MarketingChoice
from relations.campaigns import campaign_schedule, campaigns_send_due, link_token
from relations.marketing_choices import marketing_opted_out, unsubscribe_token
from relations.segment_criteria import SegmentCriteria
from relations.segment_models import Segment
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    PortalAccountFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(dt.datetime(2027, 2, 28, 9, 0))


@pytest.fixture
def setup():
    manager = StaffFactory()
    segment = Segment.objects.create(
        name="Gold", owner=manager, criteria=SegmentCriteria(tiers=("A",)).to_json()
    )
    customer = CustomerFactory(account_manager=manager, tier="A", name="Acme", language="en")
    ContactFactory(customer=customer, email="acme@example.com")
    return manager, segment, customer


def staff_client(user, language="en"):
    user.language = language  # staff pages speak the user's own language
    user.save(update_fields=["language"])
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def form_data(segment, **extra):
    return {
        "name": "Spring",
        "segment": segment.pk,
        "channel": "in_app",
        "subject_zh_hans": "春季优惠",
        "body_zh_hans": "{{ customer_name }}，您好",
        "subject_en": "Spring offer",
        "body_en": "Hello {{ customer_name }}",
        "link_url": "/portal/",
        "renewal_window_days": 30,
        **extra,
    }


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", ["Preview", "The segment has 1 member today."]), ("zh-hans", ["预览", "个成员"])],
)
def test_a_manager_writes_a_campaign_and_sees_the_preview(setup, language, words):
    manager, segment, _ = setup
    client = staff_client(manager, language)

    response = client.post(reverse("relations:campaign-new"), form_data(segment))

    campaign = Campaign.objects.get()
    assert response.status_code == 302 and campaign.owner == manager
    page = client.get(reverse("relations:campaign", args=[campaign.pk])).content.decode()
    for word in words:
        assert word in page
    assert "Hello Acme" in page and "Acme，您好" in page


def test_bad_input_is_refused_with_a_message_not_a_500(setup):
    manager, segment, _ = setup
    client = staff_client(manager)

    response = client.post(
        reverse("relations:campaign-new"),
        form_data(segment, body_en="Hello {% if %}", link_url="javascript:alert(1)"),
    )

    assert response.status_code == 400 and not Campaign.objects.exists()
    page = response.content.decode()
    assert "not a valid template" in page and "https://" in page


def test_schedule_and_cancel_by_post_and_another_team_gets_404(setup):
    manager, segment, _ = setup
    client = staff_client(manager)
    client.post(reverse("relations:campaign-new"), form_data(segment))
    campaign = Campaign.objects.get()
    when = timezone.localtime(timezone.now() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")

    assert client.get(reverse("relations:campaign-schedule", args=[campaign.pk])).status_code == 405
    client.post(reverse("relations:campaign-schedule", args=[campaign.pk]), {"at": when})
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SCHEDULED
    other = staff_client(StaffFactory())
    assert other.get(reverse("relations:campaign", args=[campaign.pk])).status_code == 404
    assert other.post(reverse("relations:campaign-cancel", args=[campaign.pk])).status_code == 404
    client.post(reverse("relations:campaign-cancel", args=[campaign.pk]))
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.CANCELLED


def sent_campaign(manager, segment, channel="in_app"):
    campaign = Campaign.objects.create(
        name="Spring",
        segment=segment,
        channel=channel,
        subject_zh_hans="春季",
        body_zh_hans="您好",
        subject_en="Spring",
        body_en="Hello",
        link_url="/portal/",
        owner=manager,
    )
    campaign_schedule(campaign, at=NOW, by=manager, now=NOW)
    campaigns_send_due(now=NOW)
    return campaign


def test_the_tracked_link_only_redirects_and_the_beacon_counts_once(setup):
    manager, segment, _ = setup
    sent_campaign(manager, segment)
    recipient = CampaignRecipient.objects.get()
    token = link_token(recipient.pk)
    client = Client(enforce_csrf_checks=True)

    go = client.get(reverse("campaigns:go", args=[token]))
    assert go.status_code == 302 and go["Location"] == reverse("campaigns:visit", args=[token])
    landing = client.get(go["Location"])
    assert landing.status_code == 200 and b"campaign_click.js" in landing.content
    recipient.refresh_from_db()
    assert recipient.clicked_at is None  # GET wrote nothing

    click_url = reverse("campaigns:click", args=[token])
    assert client.post(click_url).status_code == 403  # no CSRF token
    csrf = client.cookies["csrftoken"].value
    assert client.post(click_url, HTTP_X_CSRFTOKEN=csrf).status_code == 204
    recipient.refresh_from_db()
    first = recipient.clicked_at
    assert first is not None
    assert client.post(click_url, HTTP_X_CSRFTOKEN=csrf).status_code == 204
    recipient.refresh_from_db()
    assert recipient.clicked_at == first
    assert client.get(reverse("campaigns:go", args=["forged"])).status_code == 400


@pytest.mark.parametrize(
    ("language", "ask", "done"),
    [
        ("en", "Stop sending offers and newsletters to Acme?", "will no longer receive"),
        ("zh-hans", "不再向 Acme 发送优惠和资讯？", "将不再收到"),
    ],
)
def test_unsubscribe_link_asks_on_get_and_opts_out_on_post(setup, language, ask, done):
    _, _, customer = setup
    url = reverse("campaigns:unsubscribe", args=[unsubscribe_token(customer.pk)])
    client = Client(HTTP_ACCEPT_LANGUAGE=language)

    page = client.get(url)
    assert ask in page.content.decode() and not MarketingChoice.objects.exists()
    answer = client.post(url)
    assert done in answer.content.decode()
    assert marketing_opted_out(customer)
    assert MarketingChoice.objects.get().source == "email_link"


def test_portal_preferences_opt_out_in_one_click_and_back(setup):
    _, _, customer = setup
    account = PortalAccountFactory(customer=customer)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(account.user)

    page = client.get(reverse("portal:preferences")).content.decode()
    assert "Stop offers and newsletters" in page
    client.post(reverse("campaigns:marketing-choice"), {"opted_out": "1"})
    assert marketing_opted_out(customer)
    page = client.get(reverse("portal:preferences")).content.decode()
    assert "Receive offers and newsletters again" in page
    client.post(reverse("campaigns:marketing-choice"), {"opted_out": "0"})
    assert not marketing_opted_out(customer)
    assert client.get(reverse("campaigns:marketing-choice")).status_code == 405


@pytest.mark.parametrize(("language", "word"), [("en", "Clicked"), ("zh-hans", "点击")])
def test_report_page_in_both_languages(setup, language, word):
    manager, segment, _ = setup
    campaign = sent_campaign(manager, segment)
    page = staff_client(manager, language).get(
        reverse("relations:campaign-report", args=[campaign.pk])
    )
    content = page.content.decode()
    assert page.status_code == 200 and word in content
    assert 'data-figure="sent"' in content
