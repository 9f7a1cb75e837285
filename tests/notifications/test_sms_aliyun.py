"""Aliyun SMS end to end: the official SDK against the local fake (signature V3 checked
with the test key), template and signature from the admin's SmsTemplate, error codes
classified, receipts by the QuerySendDetails poll and by the token-protected push."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from notifications.models import MessageStatus
from notifications.services import message_deliver, sms_receipts_poll

from .sms_fixtures import PHONE, sms_template

S = MessageStatus
pytestmark = pytest.mark.django_db


def _push_url(settings, token=None):
    token = token or settings.SMS_PROVIDERS["aliyun"]["RECEIPT_TOKEN"]
    return reverse("receipts:sms-push", kwargs={"provider": "aliyun", "token": token})


def _events(message):
    return list(message.events.order_by("id").values_list("kind", flat=True))


def test_it_sends_the_admins_template_signed_and_a_polled_receipt_marks_it_delivered(
    aliyun_fake, sms_message
):
    sms_template("aliyun")
    message = sms_message()

    assert message_deliver(message_id=message.pk) == "sent"

    message.refresh_from_db()
    (sent,) = aliyun_fake.sent
    assert (sent.phone, sent.sign_name, sent.template_code) == (
        "8613800000000",
        "RenewDesk",
        "SMS_465000001",
    )
    assert sent.params == {"name": "Lin Wei"}
    assert sent.out_id == str(message.pk)
    assert (message.status, message.provider, message.provider_message_id) == (
        S.SENT,
        "aliyun",
        sent.biz_id,
    )

    # given the provider has no final status yet, the poll changes nothing
    assert sms_receipts_poll() == {}
    message.refresh_from_db()
    assert message.status == S.SENT

    aliyun_fake.report(sent.biz_id, delivered=True)
    assert sms_receipts_poll() == {"delivered": 1}

    message.refresh_from_db()
    assert message.status == S.DELIVERED and message.delivered_at is not None
    assert _events(message) == ["sent", "delivered"]
    # a second poll asks nothing more: the message is no longer awaiting a receipt
    assert sms_receipts_poll() == {}


def test_flow_control_is_retried_later_and_a_bad_number_fails_for_good(aliyun_fake, sms_message):
    sms_template("aliyun")
    message = sms_message()
    aliyun_fake.next_codes = ["isv.BUSINESS_LIMIT_CONTROL", "isv.MOBILE_NUMBER_ILLEGAL"]

    assert message_deliver(message_id=message.pk) == "retry"
    message.refresh_from_db()
    assert message.status == S.PENDING and "isv.BUSINESS_LIMIT_CONTROL" in message.last_error
    assert _events(message) == []  # a retry is churn: no event

    with time_machine.travel(message.next_attempt_at + dt.timedelta(seconds=1)):
        assert message_deliver(message_id=message.pk) == "failed"
    message.refresh_from_db()
    assert message.status == S.FAILED and "isv.MOBILE_NUMBER_ILLEGAL" in message.last_error
    assert _events(message) == ["failed"]
    assert aliyun_fake.sent == []


def test_a_request_signed_with_another_secret_is_refused_by_the_provider(
    aliyun_fake, sms_message, settings
):
    sms_template("aliyun")
    settings.SMS_PROVIDERS["aliyun"]["ACCESS_KEY_SECRET"] = "not-the-secret"
    message = sms_message()

    assert message_deliver(message_id=message.pk) == "failed"

    message.refresh_from_db()
    assert "SignatureDoesNotMatch" in message.last_error
    assert aliyun_fake.refused_signatures == 1 and aliyun_fake.sent == []


def test_a_message_without_a_configured_template_fails_saying_what_to_add(aliyun_fake, sms_message):
    sms_template("aliyun", language="zh-hans")  # another language only
    message = sms_message()

    assert message_deliver(message_id=message.pk) == "failed"

    message.refresh_from_db()
    assert message.status == S.FAILED
    assert "No SMS template is configured for aliyun" in message.last_error
    assert "care_birthday" in message.last_error and "SMS templates" in message.last_error
    assert aliyun_fake.sent == []


def test_a_template_parameter_the_message_lacks_fails_for_good(aliyun_fake, sms_message):
    sms_template("aliyun", params="code=contract_number")
    message = sms_message()

    assert message_deliver(message_id=message.pk) == "failed"

    message.refresh_from_db()
    assert "contract_number" in message.last_error
    assert aliyun_fake.sent == []


def _sent(aliyun_fake, sms_message):
    sms_template("aliyun")
    message = sms_message()
    message_deliver(message_id=message.pk)
    message.refresh_from_db()
    return message, aliyun_fake.sent[0].biz_id


def test_the_push_with_the_secret_token_marks_the_message_delivered_once(
    client, aliyun_fake, sms_message, settings
):
    message, biz_id = _sent(aliyun_fake, sms_message)
    aliyun_fake.report(biz_id, delivered=True)
    body = json.dumps(aliyun_fake.sms_report(biz_id))

    first = client.post(_push_url(settings), body, content_type="application/json")
    again = client.post(_push_url(settings), body, content_type="application/json")

    assert first.status_code == again.status_code == 200
    assert first.json() == {"code": 0, "msg": "成功"}
    message.refresh_from_db()
    assert message.status == S.DELIVERED
    assert _events(message) == ["sent", "delivered"]


def test_an_undelivered_receipt_alerts_the_account_manager(
    client, aliyun_fake, sms_message, settings
):
    from core.models import Task

    message, biz_id = _sent(aliyun_fake, sms_message)
    aliyun_fake.report(biz_id, delivered=False, err_code="MK:0001")

    client.post(
        _push_url(settings),
        json.dumps(aliyun_fake.sms_report(biz_id)),
        content_type="application/json",
    )

    message.refresh_from_db()
    assert message.status == S.UNDELIVERED and "MK:0001" in message.last_error
    assert Task.objects.filter(dedupe_key=f"message-failed:{message.pk}").exists()


@pytest.mark.parametrize("token", ["wrong-token", None])
def test_a_push_without_the_secret_token_is_not_found_and_changes_nothing(
    client, aliyun_fake, sms_message, settings, token
):
    message, biz_id = _sent(aliyun_fake, sms_message)
    aliyun_fake.report(biz_id, delivered=True)
    if token is None:  # push not enabled: no token configured at all
        url = _push_url(settings)
        del settings.SMS_PROVIDERS["aliyun"]["RECEIPT_TOKEN"]
    else:
        url = _push_url(settings, token)

    response = client.post(
        url, json.dumps(aliyun_fake.sms_report(biz_id)), content_type="application/json"
    )

    assert response.status_code == 404
    message.refresh_from_db()
    assert message.status == S.SENT and _events(message) == ["sent"]


def test_a_pushed_receipt_for_another_number_or_an_unknown_id_changes_nothing(
    client, aliyun_fake, sms_message, settings
):
    message, biz_id = _sent(aliyun_fake, sms_message)
    aliyun_fake.report(biz_id, delivered=True)
    (report,) = aliyun_fake.sms_report(biz_id)

    other_phone = client.post(
        _push_url(settings),
        json.dumps([{**report, "phone_number": "13900000000"}]),
        content_type="application/json",
    )
    unknown = client.post(
        _push_url(settings),
        json.dumps([{**report, "biz_id": "999^0"}]),
        content_type="application/json",
    )
    garbage = client.post(_push_url(settings), "not json", content_type="application/json")

    assert (other_phone.status_code, unknown.status_code, garbage.status_code) == (200, 200, 400)
    message.refresh_from_db()
    assert message.status == S.SENT


def test_a_receipt_for_an_earlier_send_does_not_touch_the_message_sent_again(
    aliyun_fake, sms_message
):
    """Staff sent an undelivered SMS again: the first send's late receipt names the old
    BizId and must not mark the new send delivered."""
    from notifications.channels.sms_receipts import SmsReceipt
    from notifications.services import message_retry, sms_receipts_record

    message, first_biz = _sent(aliyun_fake, sms_message)
    sms_receipts_record([SmsReceipt("aliyun", first_biz, PHONE, delivered=False, code="MK:0001")])
    message.refresh_from_db()
    message_retry(message=message, by=None)
    message_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == S.SENT and message.provider_message_id != first_biz

    counts = sms_receipts_record([SmsReceipt("aliyun", first_biz, PHONE, delivered=True)])

    assert counts == {"unknown": 1}
    message.refresh_from_db()
    assert message.status == S.SENT
    assert _events(message) == ["sent", "undelivered", "retried", "sent"]


@pytest.mark.django_db(transaction=True)
def test_the_fake_pushes_a_receipt_over_http_to_the_live_url(
    live_server, aliyun_fake, sms_message, settings
):
    message, biz_id = _sent(aliyun_fake, sms_message)
    aliyun_fake.report(biz_id, delivered=True)

    status, answer = aliyun_fake.push(live_server.url + _push_url(settings), biz_id)

    assert (status, answer) == (200, {"code": 0, "msg": "成功"})
    message.refresh_from_db()
    assert message.status == S.DELIVERED
    assert timezone.is_aware(message.delivered_at)
