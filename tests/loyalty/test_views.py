"""The portal's rewards pages and the staff loyalty page: scoped to the logged-in
customer (or the staff user's book), GET changes nothing, bad input never a 500."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from loyalty.models import EntryKind, PointsEntry, Redemption, Referral
from tests.factories import CustomerFactory, PortalAccountFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def _points(customer, points):
    PointsEntry.objects.create(
        customer=customer,
        kind=EntryKind.ADJUST,
        points=points,
        # Recent, whatever today is: a level counts the points earned in the last 12 months.
        on=timezone.localdate() - dt.timedelta(days=30),
        reason="opening balance",
    )


@pytest.fixture
def portal(client, customer):
    user = UserFactory()
    PortalAccountFactory(user=user, customer=customer)
    client.force_login(user)
    return client


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_rewards_page_shows_points_level_privileges_and_history(
    portal, customer, levels, language
):
    customer.language = language
    customer.save()
    portal.cookies["django_language"] = language
    _points(customer, 1200)
    other = CustomerFactory()
    _points(other, 777)
    response = portal.get(reverse("portal:rewards"), HTTP_ACCEPT_LANGUAGE=language)
    html = response.content.decode()
    assert response.status_code == 200
    assert ">1200<" in html
    assert ("Gold" if language == "en" else "金卡") in html
    assert ("Your points" if language == "en" else "我的积分") in html
    assert "opening balance" in html
    assert "777" not in html


def test_redeeming_asks_first_and_spends_only_on_post(portal, customer, discount_reward):
    _points(customer, 500)
    url = reverse("portal:reward-redeem", args=[discount_reward.pk])
    assert portal.get(url).status_code == 200
    assert not Redemption.objects.exists()
    response = portal.post(url)
    assert response.status_code == 302
    assert Redemption.objects.get().customer == customer
    # a second one is refused with a message, not a 500
    response = portal.post(url, follow=True)
    assert response.status_code == 200
    assert "Not enough points" in response.content.decode()
    assert Redemption.objects.count() == 1


def test_an_unknown_reward_is_a_404(portal):
    assert portal.get(reverse("portal:reward-redeem", args=[999999])).status_code == 404


def test_inviting_a_contact_and_bad_input(portal, customer):
    url = reverse("portal:referrals")
    bad = portal.post(url, {"contact_name": "", "contact_email": "not-an-email"})
    assert bad.status_code == 200
    response = portal.post(url, {"contact_name": "Zhao", "contact_email": "zhao@new.example"})
    assert response.status_code == 302
    referral = Referral.objects.get()
    assert referral.referrer == customer
    again = portal.post(url, {"contact_name": "Zhao", "contact_email": "ZHAO@new.example"})
    assert again.status_code == 200
    assert "already invited" in again.content.decode()
    assert Referral.objects.count() == 1


def test_staff_adjust_points_with_a_reason(client, customer):
    staff = StaffFactory(is_superuser=True)
    client.force_login(staff)
    url = reverse("loyalty:adjust", args=[customer.pk])
    client.post(url, {"points": "50", "reason": ""})
    assert not PointsEntry.objects.exists()
    client.post(url, {"points": "50", "reason": "Goodwill"})
    entry = PointsEntry.objects.get()
    assert (entry.points, entry.reason, entry.actor) == (50, "Goodwill", staff)
    page = client.get(reverse("loyalty:customer", args=[customer.pk]))
    assert page.status_code == 200 and "Goodwill" in page.content.decode()


def test_a_manager_sees_only_customers_of_their_book(client, customer):
    outsider = StaffFactory()
    client.force_login(outsider)
    assert client.get(reverse("loyalty:customer", args=[customer.pk])).status_code == 404
    response = client.post(
        reverse("loyalty:adjust", args=[customer.pk]), {"points": "5", "reason": "x"}
    )
    assert response.status_code == 404
    assert not PointsEntry.objects.exists()
