"""A staff reply to feedback reaches the customer: through the outbox, once per reply,
in their language, on the channels they chose, with a link to the portal thread."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from insights.models import FeedbackReply
from insights.services import FEEDBACK_REPLY_KIND, feedback_staff_reply
from notifications.models import Message
from portal.services import feedback_submit
from tests.factories import ContactFactory, CustomerFactory, PortalAccountFactory, UserFactory

pytestmark = pytest.mark.django_db


def _complaint(manager, **customer_fields):
    customer = CustomerFactory(account_manager=manager, name="Acme Ltd", **customer_fields)
    ContactFactory(customer=customer, email="ann@acme.example", is_primary=True)
    user = UserFactory(username=f"ann{customer.pk}", email="ann@acme.example")
    PortalAccountFactory(user=user, customer=customer)
    item = feedback_submit(
        customer=customer,
        by=user,
        category="complaint",
        severity="high",
        subject="Invoices arrive late",
        body="Every month the invoice comes after the due date.",
    )
    item.portal_user = user
    return item


def _reply(client, item, body, capture):
    with capture(execute=True):
        return client.post(reverse("insights:feedback-reply", args=[item.pk]), {"body": body})


def test_it_sends_the_reply_to_the_customer_with_a_link_to_the_thread(
    client, manager, django_capture_on_commit_callbacks
):
    item = _complaint(manager, language="en", notify_email=True, notify_in_app=True)
    client.force_login(manager)

    response = _reply(
        client, item, "We moved your invoice date.", django_capture_on_commit_callbacks
    )

    assert response.status_code == 302
    reply = FeedbackReply.objects.get(feedback=item)
    messages = Message.objects.filter(kind=FEEDBACK_REPLY_KIND).order_by("channel")
    assert [m.channel for m in messages] == ["email", "in_app"]
    link = (
        settings.SITE_URL + reverse("portal:feedback-detail", args=[item.pk]) + f"#reply-{reply.pk}"
    )
    for message in messages:
        assert message.customer == item.customer
        assert message.language == "en"
        assert message.dedupe_key == f"{FEEDBACK_REPLY_KIND}:{reply.pk}:{message.channel}"
        assert item.reference in message.subject and "Invoices arrive late" in message.subject
        assert "Dear Acme Ltd," in message.body_text
        assert "We moved your invoice date." in message.body_text
        assert link in message.body_text
    assert messages[0].to_address == "ann@acme.example"


def test_the_link_lands_on_the_reply_in_the_portal_thread(
    client, manager, django_capture_on_commit_callbacks
):
    item = _complaint(manager)
    client.force_login(manager)
    _reply(client, item, "Fixed from next month.", django_capture_on_commit_callbacks)
    reply = FeedbackReply.objects.get(feedback=item)

    portal = Client()
    portal.force_login(item.portal_user)
    page = portal.get(reverse("portal:feedback-detail", args=[item.pk])).content.decode()

    assert f'id="reply-{reply.pk}"' in page
    assert "Fixed from next month." in page


def test_it_speaks_the_customers_language(client, manager, django_capture_on_commit_callbacks):
    item = _complaint(manager, language="zh-hans", notify_email=True, notify_in_app=False)
    client.force_login(manager)  # the staff member works in English

    _reply(client, item, "已调整开票日期。", django_capture_on_commit_callbacks)

    message = Message.objects.get(kind=FEEDBACK_REPLY_KIND)
    assert message.channel == "email"
    assert message.language == "zh-hans"
    assert message.subject.startswith("您的反馈")
    assert "尊敬的 Acme Ltd：" in message.body_text
    assert "我们的团队回复了您的反馈" in message.body_text
    assert "在客户门户中查看完整对话并回复" in message.body_text
    assert "已调整开票日期。" in message.body_text


def test_it_respects_the_channel_preferences(client, manager, django_capture_on_commit_callbacks):
    item = _complaint(manager, notify_email=False, notify_in_app=True)
    client.force_login(manager)

    _reply(client, item, "Noted.", django_capture_on_commit_callbacks)

    assert list(Message.objects.filter(customer=item.customer).values_list("kind", "channel")) == [
        (FEEDBACK_REPLY_KIND, "in_app")
    ]


def test_each_reply_is_sent_once(manager, django_capture_on_commit_callbacks):
    item = _complaint(manager, notify_email=True, notify_in_app=False)

    with django_capture_on_commit_callbacks() as callbacks:
        first = feedback_staff_reply(feedback=item, by=manager, body="First answer.")
    # The message is queued again (a replayed callback): still one row for the reply.
    for callback in [*callbacks, *callbacks]:
        callback()
    with django_capture_on_commit_callbacks(execute=True):
        second = feedback_staff_reply(feedback=item, by=manager, body="Second answer.")

    keys = sorted(Message.objects.values_list("dedupe_key", flat=True))
    assert keys == sorted(
        [f"{FEEDBACK_REPLY_KIND}:{first.pk}:email", f"{FEEDBACK_REPLY_KIND}:{second.pk}:email"]
    )


def test_a_customer_reply_or_a_refused_reply_sends_nothing(
    client, manager, django_capture_on_commit_callbacks
):
    item = _complaint(manager)
    portal = Client()
    portal.force_login(item.portal_user)
    with django_capture_on_commit_callbacks(execute=True):
        portal.post(reverse("portal:feedback-detail", args=[item.pk]), {"body": "Any news?"})
    client.force_login(manager)
    _reply(client, item, "   ", django_capture_on_commit_callbacks)

    assert not Message.objects.filter(kind=FEEDBACK_REPLY_KIND).exists()


def test_the_detail_page_does_not_send_anything(client, manager):
    item = _complaint(manager)
    client.force_login(manager)

    assert client.get(reverse("insights:feedback-detail", args=[item.pk])).status_code == 200

    assert not Message.objects.filter(kind=FEEDBACK_REPLY_KIND).exists()
