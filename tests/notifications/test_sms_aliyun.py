"""Aliyun SMS end to end: the official SDK against the local fake (signature V3 checked
with the test key), template and signature from the admin's SmsTemplate, error codes
classified, receipts by the QuerySendDetails poll (the only way they arrive): once, in
batches, within the 30 send dates Aliyun answers for, untouched when the provider fails."""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from core.models import Task
from notifications.models import MessageStatus
from notifications.services import message_deliver, message_retry, sms_receipts_poll

from .sms_fixtures import sms_template

S = MessageStatus
CHINA = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


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


def _sent(aliyun_fake, sms_message, *, key="sms-test"):
    if not aliyun_fake.sent:
        sms_template("aliyun")
    message = sms_message(key=key)
    message_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == S.SENT
    return message, message.provider_message_id


def test_a_delivered_receipt_is_recorded_once_however_often_it_is_polled(aliyun_fake, sms_message):
    message, biz_id = _sent(aliyun_fake, sms_message)
    aliyun_fake.report(biz_id, delivered=True)

    first = sms_receipts_poll()
    again = sms_receipts_poll()

    assert (first, again) == ({"delivered": 1}, {})
    assert aliyun_fake.asked() == [biz_id]  # delivered: no longer awaiting a receipt
    message.refresh_from_db()
    assert message.status == S.DELIVERED and timezone.is_aware(message.delivered_at)
    assert _events(message) == ["sent", "delivered"]


def test_an_undelivered_receipt_alerts_the_account_manager(aliyun_fake, sms_message):
    message, biz_id = _sent(aliyun_fake, sms_message)
    aliyun_fake.report(biz_id, delivered=False, err_code="MK:0001")

    assert sms_receipts_poll() == {"undelivered": 1}

    message.refresh_from_db()
    assert message.status == S.UNDELIVERED and "MK:0001" in message.last_error
    assert Task.objects.filter(dedupe_key=f"message-failed:{message.pk}").exists()
    assert _events(message) == ["sent", "undelivered"]


def test_a_receipt_naming_another_number_changes_nothing(aliyun_fake, sms_message):
    message, biz_id = _sent(aliyun_fake, sms_message)
    aliyun_fake.report(biz_id, delivered=True, phone="13900000000")

    assert sms_receipts_poll() == {"unknown": 1}

    message.refresh_from_db()
    assert message.status == S.SENT and _events(message) == ["sent"]


def test_a_receipt_for_an_earlier_send_does_not_touch_the_message_sent_again(
    aliyun_fake, sms_message
):
    """Staff sent an undelivered SMS again: the first send's status (later "delivered" at
    the provider) must not mark the new send delivered; only the new BizId is asked."""
    message, first_biz = _sent(aliyun_fake, sms_message)
    aliyun_fake.report(first_biz, delivered=False)
    sms_receipts_poll()
    message.refresh_from_db()
    message_retry(message=message, by=None)
    message_deliver(message_id=message.pk)
    message.refresh_from_db()
    second_biz = message.provider_message_id
    assert message.status == S.SENT and second_biz != first_biz
    aliyun_fake.report(first_biz, delivered=True)

    assert sms_receipts_poll() == {}

    assert aliyun_fake.asked() == [first_biz, second_biz]
    message.refresh_from_db()
    assert message.status == S.SENT
    assert _events(message) == ["sent", "undelivered", "retried", "sent"]


def test_the_poll_asks_in_batches_newest_first_up_to_its_limit_per_run(
    aliyun_fake, sms_message, settings
):
    settings.NOTIFICATIONS = {"RECEIPT_POLL_BATCH": 2, "RECEIPT_POLL_MAX_BATCHES": 2}
    sent = [_sent(aliyun_fake, sms_message, key=f"sms-{n}") for n in range(5)]
    for _, biz_id in sent:
        aliyun_fake.report(biz_id, delivered=True)
    newest_first = [biz_id for _, biz_id in reversed(sent)]

    assert sms_receipts_poll() == {"delivered": 4}
    assert aliyun_fake.asked() == newest_first[:4]
    assert sms_receipts_poll() == {"delivered": 1}
    assert aliyun_fake.asked() == newest_first

    for message, _ in sent:
        message.refresh_from_db()
        assert message.status == S.DELIVERED


def test_a_provider_error_leaves_the_batch_untouched_logs_it_and_the_next_run_asks_again(
    aliyun_fake, sms_message, settings, caplog
):
    settings.NOTIFICATIONS = {"RECEIPT_POLL_BATCH": 2}
    (old, old_biz), *newer = [_sent(aliyun_fake, sms_message, key=f"sms-{n}") for n in range(3)]
    for _, biz_id in [(old, old_biz), *newer]:
        aliyun_fake.report(biz_id, delivered=True)
    # the first batch (the two newest) answers, the second hits a system error
    aliyun_fake.query_codes = ["OK", "OK", "isp.SYSTEM_ERROR"]

    with caplog.at_level(logging.WARNING, logger="notifications.sms"):
        assert sms_receipts_poll() == {"delivered": 2, "errors": 1}

    old.refresh_from_db()
    assert old.status == S.SENT and _events(old) == ["sent"]
    assert "aliyun receipts not polled" in caplog.text and "isp.SYSTEM_ERROR" in caplog.text
    assert sms_receipts_poll() == {"delivered": 1}
    old.refresh_from_db()
    assert old.status == S.DELIVERED


def test_a_query_refused_for_one_sms_skips_it_and_the_others_are_still_asked(
    aliyun_fake, sms_message, caplog
):
    (older, older_biz), (newer, newer_biz) = [
        _sent(aliyun_fake, sms_message, key=f"sms-{n}") for n in range(2)
    ]
    aliyun_fake.report(older_biz, delivered=True)
    aliyun_fake.report(newer_biz, delivered=True)
    aliyun_fake.query_codes = ["isv.MOBILE_NUMBER_ILLEGAL"]  # the newest is asked first

    with caplog.at_level(logging.WARNING, logger="notifications.sms"):
        assert sms_receipts_poll() == {"delivered": 1}

    newer.refresh_from_db()
    older.refresh_from_db()
    assert (newer.status, older.status) == (S.SENT, S.DELIVERED)
    assert "isv.MOBILE_NUMBER_ILLEGAL" in caplog.text


def test_an_unconfigured_provider_is_logged_and_its_messages_stay_sent(
    aliyun_fake, sms_message, settings, caplog
):
    message, biz_id = _sent(aliyun_fake, sms_message)
    aliyun_fake.report(biz_id, delivered=True)
    settings.SMS_PROVIDERS = {**settings.SMS_PROVIDERS, "aliyun": {}}

    with caplog.at_level(logging.WARNING, logger="notifications.sms"):
        assert sms_receipts_poll() == {"errors": 1}

    message.refresh_from_db()
    assert message.status == S.SENT and aliyun_fake.queries == []
    assert "ALIYUN_SMS_ACCESS_KEY_ID" in caplog.text


@pytest.mark.parametrize(
    ("days_later", "expected"),
    [(29, S.DELIVERED), (30, S.SENT), (90, S.SENT)],
    ids=["30th-send-date-asked", "31st-send-date-left-sent", "long-gone-left-sent"],
)
def test_only_the_last_30_send_dates_are_asked_and_older_sms_stay_sent(
    aliyun_fake, sms_message, days_later, expected
):
    sent_at = dt.datetime(2026, 6, 1, 23, 30, tzinfo=CHINA)
    with time_machine.travel(sent_at):
        message, biz_id = _sent(aliyun_fake, sms_message)
    aliyun_fake.report(biz_id, delivered=True)
    # the first minute of that later day, China time
    now = dt.datetime.combine(
        sent_at.date() + dt.timedelta(days=days_later), dt.time(0, 1), tzinfo=CHINA
    )

    sms_receipts_poll(now=now)
    sms_receipts_poll(now=now + dt.timedelta(minutes=10))

    message.refresh_from_db()
    assert message.status == expected
    if expected == S.SENT:  # never asked, never taken as delivered
        assert aliyun_fake.queries == [] and message.delivered_at is None
    else:
        assert aliyun_fake.queries == [(biz_id, "13800000000", "20260601")]


def test_an_sms_the_provider_dated_the_day_before_midnight_is_found_on_that_date(
    aliyun_fake, sms_message
):
    """SendSms taken at 23:59:55 China time, its answer (our sent_at) after midnight: the
    provider files it under the earlier date, which is asked when ours finds nothing."""
    aliyun_fake.clock_lag = dt.timedelta(seconds=15)
    with time_machine.travel(dt.datetime(2026, 6, 2, 0, 0, 10, tzinfo=CHINA)):
        message, biz_id = _sent(aliyun_fake, sms_message)
    aliyun_fake.report(biz_id, delivered=True)

    assert sms_receipts_poll(now=message.sent_at + dt.timedelta(minutes=10)) == {"delivered": 1}

    assert aliyun_fake.queries == [
        (biz_id, "13800000000", "20260602"),
        (biz_id, "13800000000", "20260601"),
    ]
