"""payments.services.notifications and attempt_queries: verify, log once, apply; ask the
provider when no notification came (PostgreSQL, the in-test fake provider)."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time

import pytest
import time_machine
from django.db import connection

from billing.models import Payment
from payments.models import AttemptStatus, PaymentAttempt, ProviderNotification
from payments.providers import provider_get
from payments.services.attempt_queries import attempt_refresh, attempts_sweep
from payments.services.attempts import attempt_start
from payments.services.notifications import notification_process, notification_receive

pytestmark = pytest.mark.django_db


def _start(invoice, code="wechat_pay"):
    return attempt_start(
        invoice=invoice,
        provider_code=code,
        by=None,
        return_url="https://r/",
        notify_url="https://n/",
    )


def test_a_verified_notification_is_logged_applied_and_answered(fake_world, invoice):
    attempt = _start(invoice)
    fake = provider_get("wechat_pay")
    fake.pay(attempt.reference)
    body, headers = fake.notification(attempt.reference, event_id="evt_1")
    reply = notification_receive("wechat_pay", body, headers)
    assert reply.status == 200 and b"SUCCESS" in reply.body
    row = ProviderNotification.objects.get()
    assert (row.provider, row.event_id, row.kind, row.outcome) == (
        "wechat_pay",
        "evt_1",
        "payment",
        "succeeded",
    )
    assert row.attempt == attempt and row.result.startswith("recorded RC-")
    assert row.payload["amount"] == "3000.00"
    # what looks like a signature or a key is never stored
    assert "sign" not in row.payload["raw"] and row.payload["raw"]["state"] == "succeeded"


def test_a_forged_notification_is_refused_logged_without_its_body_and_records_nothing(
    fake_world, invoice, caplog
):
    attempt = _start(invoice)
    fake = provider_get("wechat_pay")
    fake.pay(attempt.reference)
    body, headers = fake.notification(attempt.reference)
    forged = body.replace(b"3000.00", b"9999.00")
    with caplog.at_level(logging.WARNING, logger="payments"):
        outcome = notification_process("wechat_pay", forged, headers)
    assert not outcome.accepted and outcome.reply.status == 400
    assert not ProviderNotification.objects.exists() and not Payment.objects.exists()
    assert "rejected: bad signature" in caplog.text and "9999" not in caplog.text


def test_a_stale_notification_is_refused(fake_world, invoice):
    attempt = _start(invoice)
    fake = provider_get("wechat_pay")
    fake.pay(attempt.reference)
    body, headers = fake.notification(attempt.reference, timestamp=int(time.time()) - 3600)
    assert not notification_process("wechat_pay", body, headers).accepted
    assert not Payment.objects.exists()


def test_a_replay_is_a_duplicate_and_answered_as_accepted(fake_world, invoice):
    attempt = _start(invoice)
    fake = provider_get("wechat_pay")
    fake.pay(attempt.reference)
    body, headers = fake.notification(attempt.reference)
    notification_process("wechat_pay", body, headers)
    again = notification_process("wechat_pay", body, headers)
    assert again.accepted and [r.status for r in again.results] == ["duplicate"]
    assert Payment.objects.count() == 1 and ProviderNotification.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_and_a_query_make_one_payment(fake_world, manager):
    import datetime as dt_
    from decimal import Decimal

    from billing.services import invoice_issue
    from tests.factories import CustomerFactory

    inv = invoice_issue(
        customer=CustomerFactory(account_manager=manager),
        amount=Decimal("88.00"),
        due_date=dt_.date(2030, 1, 1),
    )
    attempt = _start(inv)
    fake = provider_get("wechat_pay")
    fake.pay(attempt.reference)
    same = fake.notification(attempt.reference, event_id="evt_race")
    other = fake.notification(attempt.reference, event_id="evt_race_2")
    barrier = threading.Barrier(12)
    outcomes: list[str] = []
    lock = threading.Lock()

    def deliver(i: int) -> None:
        try:
            barrier.wait()
            if i == 11:
                attempt_refresh(PaymentAttempt.objects.get(pk=attempt.pk))
                result = "query"
            else:
                body, headers = same if i < 8 else other
                out = notification_process("wechat_pay", body, headers)
                result = out.results[0].status
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=deliver, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("applied") == 2  # one per event id
    assert outcomes.count("duplicate") == 9
    assert Payment.objects.filter(invoice=inv).count() == 1
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.SUCCEEDED and attempt.payment is not None


def test_refresh_records_a_payment_the_provider_confirms_on_query(fake_world, invoice):
    attempt = _start(invoice)
    provider_get("wechat_pay").pay(attempt.reference)
    attempt = attempt_refresh(attempt)
    assert attempt.status == AttemptStatus.SUCCEEDED and Payment.objects.count() == 1
    assert ProviderNotification.objects.get().event_id.startswith("query:")


def test_refresh_asks_at_most_once_per_interval(fake_world, invoice):
    attempt = _start(invoice)
    now = attempt.created_at + dt.timedelta(minutes=1)
    attempt_refresh(attempt, now=now)
    attempt_refresh(attempt, now=now + dt.timedelta(seconds=2))
    attempt_refresh(attempt, now=now + dt.timedelta(seconds=11))
    assert [c[0] for c in fake_world.calls].count("payment_query") == 2


def test_refresh_expires_an_attempt_past_its_time_and_unpaid(fake_world, invoice):
    attempt = _start(invoice)
    attempt = attempt_refresh(attempt, now=attempt.expires_at + dt.timedelta(seconds=1))
    assert attempt.status == AttemptStatus.EXPIRED
    assert not Payment.objects.exists()


def test_a_provider_that_cannot_be_reached_leaves_the_attempt_waiting(fake_world, invoice):
    attempt = _start(invoice)
    fake_world.queries_fail = True
    attempt = attempt_refresh(attempt, now=attempt.expires_at + dt.timedelta(seconds=1))
    assert attempt.status == AttemptStatus.PENDING


def test_the_sweep_asks_about_stale_attempts_only(fake_world, invoice, customer):
    old = _start(invoice)
    provider_get("wechat_pay").pay(old.reference)
    with time_machine.travel(old.created_at + dt.timedelta(minutes=5)):
        fresh = _start(invoice, "alipay")
        assert attempts_sweep() == 1
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert old.status == AttemptStatus.SUCCEEDED and fresh.status == AttemptStatus.PENDING
