from __future__ import annotations

import threading

import pytest
from django.db import connection

from core.models import Task
from notifications.models import Message, MessageAttempt, MessageStatus
from notifications.services import (
    message_deliver,
    message_deliver_now,
    message_enqueue,
    outbox_deliver_due,
    outbox_requeue_stuck,
)
from notifications.services.delivery import _backoff_seconds


@pytest.fixture
def no_backoff(settings):
    settings.NOTIFICATIONS = {"RETRY_BASE_SECONDS": 0}


def reminder_email(contract, key="k1"):
    return message_enqueue(
        recipient_customer=contract.customer,
        channel="email",
        kind="care_birthday",
        language="en",
        context={"customer_name": contract.customer.name},
        dedupe_key=key,
        contract=contract,
    )


def test_it_delivers_email_with_text_and_html_parts_to_a_real_smtp_server(
    make_contract, smtp_server
):
    from lifecycle.reminder_sweep import reminders_sweep

    from .conftest import AS_OF

    contract = make_contract(30)
    reminders_sweep(as_of=AS_OF)

    summary = outbox_deliver_due()

    assert summary.sent == 1
    message = Message.objects.get(contract=contract)
    assert message.status == MessageStatus.SENT and message.sent_at is not None
    assert message.provider_message_id
    (envelope,) = smtp_server.messages
    assert envelope.rcpt_tos == [message.to_address]
    raw = envelope.content.decode()
    assert "text/plain" in raw and "text/html" in raw
    assert message.provider_message_id in raw


def test_it_retries_421_twice_and_then_delivers_once(make_contract, smtp_server, no_backoff):
    smtp_server.replies = ["421 Try again later", "421 Try again later"]
    message = reminder_email(make_contract(30))

    outcomes = [message_deliver(message_id=message.pk) for _ in range(4)]

    assert outcomes == ["retry", "retry", "sent", "skipped"]
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.attempts == 3
    assert len(smtp_server.messages) == 1
    log = list(MessageAttempt.objects.filter(message=message).values_list("ok", flat=True))
    assert log == [False, False, True]


def test_it_waits_longer_after_each_transient_failure(settings):
    settings.NOTIFICATIONS = {"RETRY_BASE_SECONDS": 60, "RETRY_MAX_SECONDS": 10_000}
    delays = [_backoff_seconds(n) for n in (1, 2, 3, 4)]
    for n, delay in enumerate(delays, start=1):
        base = 60 * 2 ** (n - 1)
        assert 0.75 * base <= delay <= 1.25 * base


def test_a_retry_waits_for_its_next_attempt_time(make_contract, smtp_server):
    smtp_server.replies = ["421 Busy"]
    message = reminder_email(make_contract(30))

    assert message_deliver(message_id=message.pk) == "retry"
    assert message_deliver(message_id=message.pk) == "skipped"  # not due yet
    assert outbox_deliver_due().sent == 0


def test_it_fails_at_once_on_550_and_alerts_the_account_manager(make_contract, smtp_server):
    smtp_server.replies = ["550 No such user"]
    contract = make_contract(30)
    message = reminder_email(contract)

    summary = outbox_deliver_due()

    message.refresh_from_db()
    assert summary.failed == 1
    assert message.status == MessageStatus.FAILED and message.attempts == 1
    assert "550" in message.last_error
    assert smtp_server.data_commands == 1
    task = Task.objects.get(dedupe_key=f"message-failed:{message.pk}")
    assert task.assignee == contract.owner
    alert = Message.objects.get(kind="message_failed")
    assert alert.user == contract.owner and alert.channel == "in_app"
    assert contract.events.filter(kind="message_failed").exists()
    assert outbox_deliver_due().sent == 0  # no retry


def test_it_retries_when_the_smtp_server_is_down(make_contract, settings):
    from tests.conftest import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    message = reminder_email(make_contract(30))

    assert message_deliver(message_id=message.pk) == "retry"
    message.refresh_from_db()
    assert message.status == MessageStatus.PENDING and "Connection" in message.last_error


def test_it_gives_up_after_the_last_attempt(make_contract, smtp_server, settings):
    settings.NOTIFICATIONS = {"RETRY_BASE_SECONDS": 0, "MAX_ATTEMPTS": 2}
    smtp_server.replies = ["421 a", "421 b", "421 c"]
    message = reminder_email(make_contract(30))

    outcomes = [message_deliver(message_id=message.pk) for _ in range(3)]

    assert outcomes == ["retry", "failed", "skipped"]


def test_it_requeues_a_message_stuck_in_sending(make_contract, smtp_server):
    import datetime as dt

    from django.utils import timezone

    message = reminder_email(make_contract(30))
    long_ago = timezone.now() - dt.timedelta(hours=1)
    Message.objects.filter(pk=message.pk).update(status="sending", claimed_at=long_ago)

    assert outbox_requeue_stuck() == 1
    assert outbox_deliver_due().sent == 1


def test_a_recent_claim_is_not_stolen(make_contract):
    from django.utils import timezone

    message = reminder_email(make_contract(30))
    Message.objects.filter(pk=message.pk).update(status="sending", claimed_at=timezone.now())

    assert outbox_requeue_stuck() == 0


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_for_one_message_send_it_once(make_contract, smtp_server):
    message = reminder_email(make_contract(30))
    barrier = threading.Barrier(4)
    outcomes = []

    def worker(fn):
        try:
            barrier.wait()
            outcomes.append(fn())
        finally:
            connection.close()

    fns = [lambda: message_deliver(message_id=message.pk)] * 2 + [
        lambda: outbox_deliver_due().sent
    ] * 2
    threads = [threading.Thread(target=worker, args=(fn,)) for fn in fns]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(smtp_server.messages) == 1
    assert Message.objects.get(pk=message.pk).attempts == 1


def test_sms_goes_to_the_file_backend(make_contract, settings, tmp_path):
    import json

    settings.NOTIFICATIONS_SMS_BACKEND = "notifications.channels.sms.FileSmsBackend"
    settings.NOTIFICATIONS_SMS_FILE = str(tmp_path / "sms.jsonl")
    contract = make_contract(30)
    message = message_enqueue(
        recipient_customer=contract.customer,
        channel="sms",
        kind="renewal_reminder",
        language="en",
        context={
            "contract_number": "HT-1",
            "end_date": contract.end_date,
            "offset": 30,
            "links": {},
        },
        dedupe_key="sms-1",
    )

    assert message_deliver(message_id=message.pk) == "sent"
    (line,) = (tmp_path / "sms.jsonl").read_text().splitlines()
    sms = json.loads(line)
    assert sms["to"] == "+8613800000000" and "HT-1" in sms["body"]


def test_deliver_now_enqueues_after_commit_and_falls_back_when_the_broker_is_down(
    make_contract, smtp_server, django_capture_on_commit_callbacks, monkeypatch
):
    from notifications import tasks

    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(tasks.deliver_message_task, "apply_async", broker_down)
    message = reminder_email(make_contract(30))

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        message_deliver_now(message.pk)
        assert not smtp_server.messages  # nothing before commit

    # The dispatch, then (registered while it ran) the publication of the "sent" event.
    assert len(callbacks) == 2
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert len(smtp_server.messages) == 1
    assert list(message.events.values_list("kind", flat=True)) == ["sent"]


def test_a_reminder_is_cancelled_when_the_contract_ended_before_delivery(
    make_contract, smtp_server
):
    from contracts.models import Contract
    from lifecycle.reminder_sweep import reminders_sweep

    from .conftest import AS_OF

    contract = make_contract(30)
    reminders_sweep(as_of=AS_OF)
    Contract.objects.filter(pk=contract.pk).update(status="terminated")

    summary = outbox_deliver_due()

    assert summary.cancelled == 1 and summary.sent == 0
    assert Message.objects.get(contract=contract).status == MessageStatus.CANCELLED
    assert not smtp_server.messages


def test_an_unexpected_error_is_retried_then_given_up_on(make_contract, settings, monkeypatch):
    from notifications.services import delivery

    settings.NOTIFICATIONS = {"RETRY_BASE_SECONDS": 0, "MAX_ATTEMPTS": 2}

    def boom(message):
        raise RuntimeError("provider library bug")

    monkeypatch.setattr(delivery, "channel_send", boom)
    message = reminder_email(make_contract(30))

    outcomes = [message_deliver(message_id=message.pk) for _ in range(3)]

    assert outcomes == ["retry", "failed", "skipped"]
    message.refresh_from_db()
    assert "provider library bug" in message.last_error


def test_the_failure_alert_names_a_recipient_without_an_address(make_contract):
    # given an in-app message to the customer's portal inbox whose template does not exist
    contract = make_contract(30)
    message = Message.objects.create(
        customer=contract.customer,
        contract=contract,
        channel="in_app",
        kind="no_such_kind",
        template_kind="no_such_kind",
        language="en",
        dedupe_key="inbox-without-template",
        rendered=False,
    )

    # when it fails for good
    assert message_deliver(message_id=message.pk) == "failed"

    # then the account manager's alert says whose inbox it was for
    alert = Message.objects.get(kind="message_failed")
    assert f"to {contract.customer.name} could not be delivered" in alert.body_text
