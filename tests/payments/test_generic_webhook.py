"""POST /webhooks/payments/: the generic HMAC payment webhook (docs/payment-webhook.md),
one adapter of the payments notification pipeline (payments/providers/generic_webhook.py,
payments/services/invoice_payments.py)."""

from __future__ import annotations

import json
import threading
import time
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client

from billing.models import InvoiceStatus, Payment, WebhookEvent
from billing.services import invoice_void
from core.models import Task
from payments.models import ProviderNotification
from payments.providers import PROVIDER_CLASSES, providers_configured
from payments.providers.base import NotificationRejected
from payments.providers.generic_webhook import (
    GenericWebhookProvider,
    webhook_sign,
    webhook_verify,
)

pytestmark = pytest.mark.django_db

URL = "/webhooks/payments/"
SECRET = "whsec_test_secret"


@pytest.fixture
def webhook_secret(settings):
    settings.RENEWDESK = {**settings.RENEWDESK, "PAYMENT_WEBHOOK_SECRET": SECRET}
    return SECRET


def _log(event_id=None):
    rows = ProviderNotification.objects.filter(provider="generic")
    return rows.filter(event_id=event_id) if event_id is not None else rows


def _event(
    invoice, event_id="evt_1", amount=None, reference="ch_123", currency=None, method="wechat_pay"
):
    return json.dumps(
        {
            "id": event_id,
            "type": "payment.succeeded",
            "data": {
                "invoice": invoice.number,
                "amount": str(amount if amount is not None else invoice.amount),
                "currency": currency or invoice.currency,
                "method": method,
                "reference": reference,
            },
        },
        ensure_ascii=False,
    ).encode()


def _post(client, body, secret, ts=None, signature=None):
    ts = int(time.time()) if ts is None else ts
    sig = signature or webhook_sign(body=body, timestamp=ts, secret=secret)
    return client.post(
        URL,
        data=body,
        content_type="application/json",
        HTTP_X_RENEWDESK_TIMESTAMP=str(ts),
        HTTP_X_RENEWDESK_SIGNATURE=sig,
    )


def test_a_signed_delivery_records_the_payment(client, invoice, webhook_secret):
    response = _post(client, _event(invoice), webhook_secret)
    assert response.status_code == 200 and response.json()["status"] == "recorded"
    payment = Payment.objects.get()
    assert payment.source == "webhook" and payment.provider_event_id == "evt_1"
    assert (payment.method, payment.reference) == ("wechat_pay", "ch_123")
    assert response.json()["detail"] == payment.number
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    row = _log("evt_1").get()
    assert (row.kind, row.reference, row.outcome) == ("payment", invoice.number, "succeeded")
    assert row.result == f"recorded {payment.number}"


def test_a_replayed_delivery_records_nothing_more(client, invoice, webhook_secret):
    body = _event(invoice)
    _post(client, body, webhook_secret)
    again = _post(client, body, webhook_secret)
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert Payment.objects.count() == 1 and _log().count() == 1
    assert not WebhookEvent.objects.exists()  # billing's old log is no longer written


def test_a_tampered_body_is_refused_and_nothing_is_recorded(client, invoice, webhook_secret):
    body = _event(invoice, amount=Decimal("1.00"))
    ts = int(time.time())
    sig = webhook_sign(body=body, timestamp=ts, secret=webhook_secret)
    tampered = body.replace(b'"1.00"', b'"9999.00"')
    response = _post(client, tampered, webhook_secret, ts=ts, signature=sig)
    assert response.status_code == 400 and response.json()["status"] == "rejected"
    assert not Payment.objects.exists() and not ProviderNotification.objects.exists()


def test_a_stale_timestamp_is_refused_even_with_a_valid_signature(client, invoice, webhook_secret):
    response = _post(client, _event(invoice), webhook_secret, ts=int(time.time()) - 301)
    assert response.status_code == 400
    assert not Payment.objects.exists() and not ProviderNotification.objects.exists()


def test_a_wrong_secret_or_missing_headers_are_refused(client, invoice, webhook_secret):
    assert _post(client, _event(invoice), "not-the-secret").status_code == 400
    assert (
        client.post(URL, data=_event(invoice), content_type="application/json").status_code == 400
    )
    assert not Payment.objects.exists()


def test_without_a_configured_secret_everything_is_refused(client, invoice, settings):
    settings.RENEWDESK = {**settings.RENEWDESK, "PAYMENT_WEBHOOK_SECRET": ""}
    assert _post(client, _event(invoice), "").status_code == 400


def test_get_is_not_allowed(client, webhook_secret):
    assert client.get(URL).status_code == 405


def test_an_unknown_invoice_is_stored_and_ignored_not_retried_forever(
    client, invoice, webhook_secret
):
    body = json.dumps(
        {
            "id": "evt_x",
            "type": "payment.succeeded",
            "data": {"invoice": "INV-0000-999999", "amount": "1"},
        }
    ).encode()
    response = _post(client, body, webhook_secret)
    assert response.status_code == 200 and response.json()["status"] == "ignored"
    assert _log("evt_x").exists()
    assert not Payment.objects.exists()


def test_the_webhook_is_the_only_csrf_exempt_view_outside_the_provider_endpoints():
    from django.urls import get_resolver

    exempt = []

    def walk(patterns, prefix=""):
        for p in patterns:
            if hasattr(p, "url_patterns"):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif getattr(p.callback, "csrf_exempt", False):
                exempt.append(prefix + str(p.pattern))

    walk(get_resolver().url_patterns)
    # The other verified provider endpoints: payment notifications (tests/payments/
    # test_notification_views.py).
    others = ("api/", "payments/notify/")
    mine = [e for e in exempt if not e.startswith(others)]
    assert mine == ["webhooks/payments/"]


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_deliveries_of_one_event_make_one_payment(settings):
    import datetime as dt

    from billing.services import invoice_issue
    from tests.factories import CustomerFactory

    secret = "whsec_concurrent"
    settings.RENEWDESK = {**settings.RENEWDESK, "PAYMENT_WEBHOOK_SECRET": secret}
    inv = invoice_issue(
        customer=CustomerFactory(), amount=Decimal("88.00"), due_date=dt.date(2030, 1, 31)
    )
    body = _event(inv, event_id="evt_race")
    barrier = threading.Barrier(20)
    statuses: list[tuple[int, str]] = []
    lock = threading.Lock()

    def deliver():
        try:
            barrier.wait()
            response = _post(Client(), body, secret)
            result = (response.status_code, response.json()["status"])
        finally:
            connection.close()
        with lock:
            statuses.append(result)

    threads = [threading.Thread(target=deliver) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses.count((200, "recorded")) == 1
    assert statuses.count((200, "duplicate")) == 19
    assert Payment.objects.filter(invoice=inv).count() == 1
    assert _log("evt_race").count() == 1


@pytest.mark.parametrize("amount", ["1e999", "NaN", "-5", "abc", "0"])
def test_an_absurd_amount_is_ignored_not_a_500(client, invoice, webhook_secret, amount):
    body = json.dumps(
        {
            "id": f"evt_{amount}",
            "type": "payment.succeeded",
            "data": {"invoice": invoice.number, "amount": amount},
        }
    ).encode()
    response = _post(client, body, webhook_secret)
    assert response.status_code == 200 and response.json()["status"] == "ignored"
    assert not Payment.objects.exists()


def test_a_body_that_is_not_json_is_refused(client, webhook_secret):
    assert _post(client, b"\xff\xfe not json", webhook_secret).status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        lambda invoice: _event(invoice, reference="ch\x00"),
        lambda invoice: _event(invoice, event_id="evt\x00"),
        lambda invoice: _event(invoice).replace(b'"type"', b'"x\\u0000": 1, "type"'),
    ],
)
def test_a_signed_delivery_with_a_nul_character_is_refused_not_a_server_error(
    client, invoice, webhook_secret, body
):
    response = _post(client, body(invoice), webhook_secret)

    assert response.status_code == 400
    assert response.json()["status"] == "rejected"
    assert not ProviderNotification.objects.exists() and not Payment.objects.exists()


# --- the adapter -----------------------------------------------------------------------------


def test_the_signature_is_checked_before_the_body_is_read():
    # given a body that is not even JSON, signed with another secret
    body = b"\xff not json"
    ts = 1_800_000_000
    # then the signature, not the parse, refuses it
    with pytest.raises(NotificationRejected, match="bad signature"):
        webhook_verify(
            body=body,
            timestamp=str(ts),
            signature=webhook_sign(body=body, timestamp=ts, secret="other"),
            secret="mine",
            now=ts,
        )


def test_the_timestamp_tolerance_is_five_minutes_either_way():
    body, ts = b"{}", 1_800_000_000
    sig = webhook_sign(body=body, timestamp=ts, secret="s")
    for now in (ts - 300, ts + 300):
        webhook_verify(body=body, timestamp=str(ts), signature=sig, secret="s", now=now)
    for now in (ts - 301, ts + 301):
        with pytest.raises(NotificationRejected, match="tolerance"):
            webhook_verify(body=body, timestamp=str(ts), signature=sig, secret="s", now=now)


def test_the_webhook_is_never_offered_to_customers(webhook_secret):
    assert GenericWebhookProvider().is_configured()
    assert "generic" not in PROVIDER_CLASSES
    assert all(p.code != "generic" for p in providers_configured())


def test_the_notify_endpoint_of_the_sdk_providers_does_not_take_it(client, webhook_secret):
    assert (
        client.post(
            "/payments/notify/generic/", data=b"{}", content_type="application/json"
        ).status_code
        == 404
    )


# --- reconciliation without an attempt --------------------------------------------------------


def test_an_under_payment_is_recorded_and_the_invoice_stays_open(client, invoice, webhook_secret):
    response = _post(client, _event(invoice, amount=Decimal("1000.00")), webhook_secret)
    assert response.json()["status"] == "recorded"
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN and invoice.balance == Decimal("2000.00")
    assert _log("evt_1").get().result.endswith("; under-payment")


def test_an_over_payment_is_recorded_with_the_excess_as_credit_and_a_task(
    client, invoice, webhook_secret
):
    response = _post(client, _event(invoice, amount=Decimal("3500.00")), webhook_secret)
    assert response.json()["status"] == "recorded"
    payment = Payment.objects.get()
    assert payment.unapplied_amount == Decimal("500.00")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert _log("evt_1").get().result.endswith("; over-payment")
    assert Task.objects.filter(customer=invoice.customer).exists()


def test_another_currency_records_nothing_and_asks_the_account_manager(
    client, invoice, webhook_secret
):
    response = _post(client, _event(invoice, currency="USD"), webhook_secret)
    assert response.status_code == 200 and response.json()["status"] == "ignored"
    assert not Payment.objects.exists()
    task = Task.objects.get(dedupe_key="payment-review:webhook:evt_1")
    assert task.assignee == invoice.customer.account_manager
    assert invoice.number in task.title and "USD" in task.title


def test_a_void_invoice_records_nothing_and_asks_the_account_manager(
    client, invoice, manager, webhook_secret
):
    invoice_void(invoice=invoice, by=manager, reason="issued twice")
    response = _post(client, _event(invoice), webhook_secret)
    assert response.json()["status"] == "ignored"
    assert not Payment.objects.exists()
    assert Task.objects.filter(dedupe_key="payment-review:webhook:evt_1").exists()


def test_a_reference_recorded_by_staff_is_not_recorded_again(
    client, invoice, manager, webhook_secret
):
    from billing.services import payment_record

    payment_record(
        invoice=invoice, amount=invoice.amount, method="wechat_pay", reference="ch_123", by=manager
    )
    response = _post(client, _event(invoice), webhook_secret)
    assert response.json()["status"] == "ignored"
    assert Payment.objects.count() == 1
    assert not Task.objects.filter(dedupe_key__startswith="payment-review:").exists()


@pytest.mark.parametrize(("sent", "recorded"), [("alipay", "alipay"), ("paypal", "other")])
def test_the_method_is_one_of_ours_or_other(client, invoice, webhook_secret, sent, recorded):
    _post(client, _event(invoice, method=sent), webhook_secret)
    assert Payment.objects.get().method == recorded


def test_without_a_reference_the_event_id_is_the_payment_reference(client, invoice, webhook_secret):
    _post(client, _event(invoice, reference=""), webhook_secret)
    assert Payment.objects.get().reference == "evt_1"


def test_another_event_type_is_logged_and_ignored(client, invoice, webhook_secret):
    body = json.dumps({"id": "evt_r", "type": "refund.succeeded", "data": {}}).encode()
    response = _post(client, body, webhook_secret)
    assert response.json()["status"] == "ignored"
    assert _log("evt_r").get().kind == "ignored"
    assert not Payment.objects.exists()


# --- replay-safety across the switch from billing's WebhookEvent -----------------------------


def test_an_event_in_billings_old_log_is_still_a_duplicate(client, invoice, webhook_secret):
    # given a delivery accepted by the old webhook (an old process during the deploy)
    WebhookEvent.objects.create(event_id="evt_1", event_type="payment.succeeded", payload={})
    # when it is delivered again
    response = _post(client, _event(invoice), webhook_secret)
    # then
    assert response.json()["status"] == "duplicate"
    assert not Payment.objects.exists()


def test_the_migration_copies_the_old_log_so_replays_are_duplicates(
    client, invoice, webhook_secret
):
    migration = __import__(
        "payments.migrations.0003_webhook_events_to_notifications", fromlist=["x"]
    )
    old = WebhookEvent.objects.create(
        event_id="evt_1",
        event_type="payment.succeeded",
        payload=json.loads(_event(invoice)),
        result="recorded RC-2026-000001",
    )
    WebhookEvent.objects.create(event_id="evt_2", event_type="invoice.created", payload={})

    migration.copy_webhook_events(apps, None)
    migration.copy_webhook_events(apps, None)  # again: nothing more

    assert _log().count() == 2
    row = _log("evt_1").get()
    assert (row.kind, row.reference, row.result) == (
        "payment",
        invoice.number,
        "recorded RC-2026-000001",
    )
    assert row.received_at == old.received_at
    assert row.payload["transaction_id"] == "ch_123" and row.payload["amount"] == "3000.00"
    assert _log("evt_2").get().kind == "ignored"
    WebhookEvent.objects.all().delete()  # only the copy answers now
    assert _post(client, _event(invoice), webhook_secret).json()["status"] == "duplicate"
    assert not Payment.objects.exists()
