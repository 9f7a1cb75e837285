"""A customer invites a contact from the portal: a referral row and one e-mail through the
outbox, in the inviting customer's language, with the code; the daily limit and a second
invitation of the same address are refused with a message; every page is scoped to the
logged-in customer and GET changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.errors import DomainError
from loyalty import services
from loyalty.models import Referral
from loyalty.referral_invitations import INVITATION_KIND, INVITATIONS_PER_DAY, referral_invite
from notifications.models import Channel, Message, MessageStatus
from notifications.services import message_deliver
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    PortalAccountFactory,
    StaffFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def portal(client, customer):
    user = UserFactory()
    PortalAccountFactory(user=user, customer=customer)
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("language", "subject_text", "body_text"),
    [
        ("en", "invites you to RenewDesk", "Your referral code: "),
        ("zh-hans", "邀请您了解 RenewDesk", "您的推荐码："),
    ],
)
def test_an_invitation_is_a_referral_and_one_email_in_the_customers_language(
    customer, language, subject_text, body_text
):
    customer.language = language
    customer.save()

    referral = referral_invite(
        referrer=customer, contact_name="Zhao Lei", contact_email=" Zhao.Lei@New.Example "
    )

    assert referral.referrer == customer
    assert referral.contact_email == "zhao.lei@new.example"
    message = Message.objects.get()
    assert message.kind == INVITATION_KIND
    assert message.channel == Channel.EMAIL
    assert message.status == MessageStatus.PENDING
    # the outbox keeps messages per customer: the inviting one, sent to the contact
    assert message.customer == customer
    assert message.to_address == "zhao.lei@new.example"
    assert message.language == language
    assert subject_text in message.subject and customer.name in message.subject
    assert f"{body_text}{referral.token}" in message.body_text
    assert "Zhao Lei" in message.body_text

    # delivery sends it to the contact's address, not to the customer's contacts
    assert message_deliver(message_id=message.pk) == "sent"
    assert [m.to for m in mail.outbox] == [["zhao.lei@new.example"]]
    assert referral.token in mail.outbox[0].body


def test_the_same_address_twice_is_refused_and_sends_nothing_more(customer):
    referral_invite(referrer=customer, contact_name="Li", contact_email="li@other.example")
    with pytest.raises(DomainError, match="already invited"):
        referral_invite(referrer=customer, contact_name="Li", contact_email="LI@other.example")
    assert Referral.objects.count() == 1
    assert Message.objects.count() == 1
    # another customer may invite the same person
    referral_invite(referrer=CustomerFactory(), contact_name="Li", contact_email="li@other.example")
    assert Referral.objects.count() == 2


def test_ones_own_contact_is_refused(customer):
    ContactFactory(customer=customer, email="boss@customer.example")
    with pytest.raises(DomainError, match="own contacts"):
        referral_invite(
            referrer=customer, contact_name="Boss", contact_email="Boss@customer.example"
        )
    assert not Message.objects.exists()


def test_the_daily_limit_refuses_the_next_invitation_until_a_day_has_passed(customer):
    for n in range(INVITATIONS_PER_DAY):
        referral_invite(referrer=customer, contact_name=f"P{n}", contact_email=f"p{n}@x.example")
    # the limit is per customer: another customer is not held back
    referral_invite(referrer=CustomerFactory(), contact_name="Q", contact_email="q@x.example")

    with pytest.raises(DomainError, match=f"at most {INVITATIONS_PER_DAY} invitations a day"):
        referral_invite(referrer=customer, contact_name="Late", contact_email="late@x.example")
    assert Referral.objects.filter(referrer=customer).count() == INVITATIONS_PER_DAY
    assert Message.objects.filter(customer=customer).count() == INVITATIONS_PER_DAY

    # 24 hours after those invitations, the customer may invite again
    Referral.objects.filter(referrer=customer).update(
        created_at=timezone.now() - dt.timedelta(hours=24, minutes=1)
    )
    referral_invite(referrer=customer, contact_name="Late", contact_email="late@x.example")
    assert Referral.objects.filter(referrer=customer).count() == INVITATIONS_PER_DAY + 1


def test_services_still_offers_referral_invite(customer):
    assert services.referral_invite is referral_invite


def test_inviting_from_the_portal_sends_the_invitation(portal, customer):
    url = reverse("portal:referrals")
    assert portal.get(url).status_code == 200
    assert not Referral.objects.exists() and not Message.objects.exists()

    response = portal.post(
        url, {"contact_name": "Zhao", "contact_email": "zhao@new.example"}, follow=True
    )

    referral = Referral.objects.get()
    assert referral.referrer == customer
    html = response.content.decode()
    assert f"We e-mailed Zhao an invitation with your referral code {referral.token}" in html
    assert Message.objects.get().to_address == "zhao@new.example"


@pytest.mark.parametrize(
    ("language", "invalid", "duplicate", "limit"),
    [
        ("en", "Enter a valid email address.", "already invited", "invitations a day"),
        ("zh-hans", "请输入合法的邮件地址。", "您已邀请过这个邮箱", "每天最多可发送"),
    ],
)
def test_bad_input_the_duplicate_and_the_limit_get_a_message_in_the_customers_language(
    portal, customer, language, invalid, duplicate, limit
):
    portal.cookies["django_language"] = language
    url = reverse("portal:referrals")

    bad = portal.post(url, {"contact_name": "Zhao", "contact_email": "not-an-email"})
    assert bad.status_code == 200
    assert invalid in bad.content.decode()
    assert not Referral.objects.exists()

    assert portal.post(url, {"contact_name": "Zhao", "contact_email": "z@n.example"}).status_code
    again = portal.post(url, {"contact_name": "Zhao", "contact_email": "Z@n.example"})
    assert again.status_code == 200
    assert duplicate in again.content.decode()

    for n in range(1, INVITATIONS_PER_DAY):
        referral_invite(referrer=customer, contact_name=f"P{n}", contact_email=f"p{n}@x.example")
    over = portal.post(url, {"contact_name": "Late", "contact_email": "late@x.example"})
    assert over.status_code == 200
    assert limit in over.content.decode()
    assert 'value="late@x.example"' in over.content.decode()  # what was typed is kept
    assert Referral.objects.count() == INVITATIONS_PER_DAY


def test_the_form_needs_its_csrf_token(customer):
    user = UserFactory()
    PortalAccountFactory(user=user, customer=customer)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(
        reverse("portal:referrals"), {"contact_name": "Zhao", "contact_email": "z@n.example"}
    )
    assert response.status_code == 403
    assert not Referral.objects.exists()


def test_another_customers_invitations_are_not_shown(portal, customer):
    referral_invite(referrer=customer, contact_name="Mine", contact_email="mine@x.example")
    other = referral_invite(
        referrer=CustomerFactory(), contact_name="Theirs", contact_email="theirs@x.example"
    )
    html = portal.get(reverse("portal:referrals")).content.decode()
    assert "mine@x.example" in html
    assert "theirs@x.example" not in html and other.token not in html


def test_staff_see_the_invitations_on_the_customers_loyalty_page(client, customer):
    referral = referral_invite(referrer=customer, contact_name="Zhao", contact_email="z@n.example")
    client.force_login(StaffFactory(is_superuser=True))
    html = client.get(reverse("loyalty:customer", args=[customer.pk])).content.decode()
    assert referral.token in html and "z@n.example" in html
