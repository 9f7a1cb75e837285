"""Tencent Cloud SMS end to end: the official SDK against the local fake (TC3-HMAC-SHA256
checked with the test key), error codes classified, receipts by PullSmsSendStatus (the
only way they arrive): the application's queue drained in pulls, each status recorded
once, untouched when the provider fails, nothing pulled for SMS older than 7 days."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
import time_machine
from django.utils import timezone

from core.models import Task
from notifications.channels.sms_tencent import TencentSmsBackend
from notifications.models import MessageStatus
from notifications.services import message_deliver, message_retry, sms_receipts_poll

from .sms_fixtures import sms_template

S = MessageStatus
pytestmark = pytest.mark.django_db


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


def _sent(tencent_fake, sms_message, *, key="sms-test"):
    if not tencent_fake.sent:
        sms_template("tencent")
    message = sms_message(key=key)
    message_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == S.SENT
    return message, message.provider_message_id


def test_a_status_handed_out_twice_is_recorded_once(tencent_fake, sms_message):
    message, serial = _sent(tencent_fake, sms_message)
    tencent_fake.report(serial, delivered=True)
    tencent_fake.report(serial, delivered=True)  # the provider repeats itself

    assert sms_receipts_poll() == {"delivered": 1, "unchanged": 1}
    assert sms_receipts_poll() == {}  # nothing awaiting: no pull at all

    assert tencent_fake.pulls == 1
    message.refresh_from_db()
    assert message.status == S.DELIVERED and _events(message) == ["sent", "delivered"]


def test_a_failed_status_marks_it_undelivered_and_alerts_the_account_manager(
    tencent_fake, sms_message
):
    message, serial = _sent(tencent_fake, sms_message)
    tencent_fake.report(serial, delivered=False, description="MN:0001")

    assert sms_receipts_poll() == {"undelivered": 1}

    message.refresh_from_db()
    assert message.status == S.UNDELIVERED and "MN:0001" in message.last_error
    assert _events(message) == ["sent", "undelivered"]
    assert Task.objects.filter(dedupe_key=f"message-failed:{message.pk}").exists()


def test_a_status_for_another_number_or_an_unknown_serial_changes_nothing(
    tencent_fake, sms_message
):
    message, serial = _sent(tencent_fake, sms_message)
    tencent_fake.report(serial, delivered=True, phone="+8613900000000")
    # the queue is the whole application's: an SMS another system sent
    tencent_fake.report("2646:9999999999", delivered=True, phone="+8613800000000")

    assert sms_receipts_poll() == {"unknown": 2}

    message.refresh_from_db()
    assert message.status == S.SENT and _events(message) == ["sent"]


def test_a_status_for_an_earlier_send_does_not_touch_the_message_sent_again(
    tencent_fake, sms_message
):
    message, first_serial = _sent(tencent_fake, sms_message)
    tencent_fake.report(first_serial, delivered=False)
    sms_receipts_poll()
    message.refresh_from_db()
    message_retry(message=message, by=None)
    message_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == S.SENT and message.provider_message_id != first_serial
    # the carrier's late word on the first send
    tencent_fake.report(first_serial, delivered=True)

    assert sms_receipts_poll() == {"unknown": 1}

    message.refresh_from_db()
    assert message.status == S.SENT
    assert _events(message) == ["sent", "undelivered", "retried", "sent"]


def test_the_queue_is_drained_in_pulls_up_to_the_limit_per_run(
    tencent_fake, sms_message, settings, monkeypatch
):
    monkeypatch.setattr(TencentSmsBackend, "pull_limit", 2)
    settings.NOTIFICATIONS = {"RECEIPT_POLL_MAX_BATCHES": 2}
    sent = [_sent(tencent_fake, sms_message, key=f"sms-{n}") for n in range(5)]
    for _, serial in sent:
        tencent_fake.report(serial, delivered=True)

    assert sms_receipts_poll() == {"delivered": 4}
    assert (tencent_fake.pulls, len(tencent_fake.queue)) == (2, 1)
    assert sms_receipts_poll() == {"delivered": 1}  # a short pull: the queue is empty
    assert tencent_fake.pulls == 3

    for message, _ in sent:
        message.refresh_from_db()
        assert message.status == S.DELIVERED


def test_a_provider_error_leaves_messages_untouched_logs_it_and_the_next_run_pulls_again(
    tencent_fake, sms_message, caplog
):
    message, serial = _sent(tencent_fake, sms_message)
    tencent_fake.report(serial, delivered=True)
    tencent_fake.pull_errors = ["InternalError"]

    with caplog.at_level(logging.WARNING, logger="notifications.sms"):
        assert sms_receipts_poll() == {"errors": 1}

    message.refresh_from_db()
    assert message.status == S.SENT and _events(message) == ["sent"]
    assert "tencent receipts not polled" in caplog.text and "InternalError" in caplog.text
    assert sms_receipts_poll() == {"delivered": 1}
    message.refresh_from_db()
    assert message.status == S.DELIVERED


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (dt.timedelta(days=6, hours=23), S.DELIVERED),
        (dt.timedelta(days=7, minutes=1), S.SENT),
        (dt.timedelta(days=40), S.SENT),
    ],
    ids=["within-7-days", "just-past-7-days", "long-gone"],
)
def test_nothing_is_pulled_for_sms_older_than_7_days_and_they_stay_sent(
    tencent_fake, sms_message, after, expected
):
    sent_at = dt.datetime(2026, 6, 1, 10, 0, tzinfo=dt.UTC)
    with time_machine.travel(sent_at):
        message, serial = _sent(tencent_fake, sms_message)
    tencent_fake.report(serial, delivered=True)

    sms_receipts_poll(now=sent_at + after)

    message.refresh_from_db()
    assert message.status == expected
    assert tencent_fake.pulls == (1 if expected == S.DELIVERED else 0)
    if expected == S.SENT:  # never taken as delivered
        assert message.delivered_at is None
    else:
        assert timezone.is_aware(message.delivered_at)
