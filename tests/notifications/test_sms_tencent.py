"""Tencent Cloud SMS end to end: the official SDK against the local fake (TC3-HMAC-SHA256
checked with the test key), error codes classified, receipts by PullSmsSendStatus and by
the token-protected status callback."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.urls import reverse

from notifications.models import MessageStatus
from notifications.services import message_deliver, sms_receipts_poll

from .sms_fixtures import sms_template

S = MessageStatus
pytestmark = pytest.mark.django_db


def _push_url(settings, token=None):
    token = token or settings.SMS_PROVIDERS["tencent"]["RECEIPT_TOKEN"]
    return reverse("receipts:sms-push", kwargs={"provider": "tencent", "token": token})


def _events(message):
    return list(message.events.order_by("id").values_list("kind", flat=True))


def test_it_sends_the_template_with_positional_parameters_and_a_pulled_status_delivers_it(
    tencent_fake, sms_message
):
    sms_template("tencent", language="zh-hans", params="name=customer_name, year")
    message = sms_message(language="zh-hans")

    assert message_deliver(message_id=message.pk) == "sent"

    (sent,) = tencent_fake.sent
    assert (sent.phone, sent.template_id, sent.sign_name) == (
        "+8613800000000",
        "1990001",
        "RenewDesk",
    )
    assert sent.params == ["Lin Wei", "2026"]
    assert sent.session_context == str(message.pk)
    message.refresh_from_db()
    assert (message.status, message.provider, message.provider_message_id) == (
        S.SENT,
        "tencent",
        sent.serial_no,
    )

    tencent_fake.report(sent.serial_no, delivered=True)
    assert sms_receipts_poll() == {"delivered": 1}
    message.refresh_from_db()
    assert message.status == S.DELIVERED
    assert _events(message) == ["sent", "delivered"]


def test_a_rate_limit_is_retried_later_and_an_incorrect_number_fails_for_good(
    tencent_fake, sms_message
):
    sms_template("tencent")
    message = sms_message()
    tencent_fake.next_codes = [
        "LimitExceeded.PhoneNumberThirtySecondLimit",
        "InvalidParameterValue.IncorrectPhoneNumber",
    ]

    assert message_deliver(message_id=message.pk) == "retry"
    message.refresh_from_db()
    assert "LimitExceeded.PhoneNumberThirtySecondLimit" in message.last_error

    with time_machine.travel(message.next_attempt_at + dt.timedelta(seconds=1)):
        assert message_deliver(message_id=message.pk) == "failed"
    message.refresh_from_db()
    assert message.status == S.FAILED
    assert "InvalidParameterValue.IncorrectPhoneNumber" in message.last_error
    assert _events(message) == ["failed"]


def test_a_request_signed_with_another_key_is_refused_by_the_provider(
    tencent_fake, sms_message, settings
):
    sms_template("tencent")
    settings.SMS_PROVIDERS["tencent"]["SECRET_KEY"] = "not-the-key"
    message = sms_message()

    assert message_deliver(message_id=message.pk) == "failed"

    message.refresh_from_db()
    assert "AuthFailure.SignatureFailure" in message.last_error
    assert tencent_fake.refused_signatures == 1 and tencent_fake.sent == []


def test_the_status_callback_marks_it_undelivered_and_a_wrong_token_changes_nothing(
    client, tencent_fake, sms_message, settings
):
    sms_template("tencent")
    message = sms_message()
    message_deliver(message_id=message.pk)
    serial = tencent_fake.sent[0].serial_no
    body = json.dumps(tencent_fake.status_callback(serial, delivered=False))

    refused = client.post(_push_url(settings, "guess"), body, content_type="application/json")
    message.refresh_from_db()
    assert refused.status_code == 404 and message.status == S.SENT

    accepted = client.post(_push_url(settings), body, content_type="application/json")

    assert accepted.status_code == 200
    assert accepted.json() == {"result": 0, "errmsg": "OK"}
    message.refresh_from_db()
    assert message.status == S.UNDELIVERED and "MN:0001" in message.last_error
    assert _events(message) == ["sent", "undelivered"]


def test_a_get_on_the_receipt_url_changes_nothing(client, tencent_fake, settings):
    assert client.get(_push_url(settings)).status_code == 405
