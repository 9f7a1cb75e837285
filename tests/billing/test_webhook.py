from __future__ import annotations

import json
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client

from billing.models import InvoiceStatus, Payment, WebhookEvent
from billing.webhooks import webhook_sign

URL = "/webhooks/payments/"


def _event(invoice, event_id="evt_1", amount=None, reference="ch_123"):
    return json.dumps(
        {
            "id": event_id,
            "type": "payment.succeeded",
            "data": {
                "invoice": invoice.number,
                "amount": str(amount if amount is not None else invoice.amount),
                "currency": invoice.currency,
                "method": "wechat_pay",
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
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID


def test_a_replayed_delivery_records_nothing_more(client, invoice, webhook_secret):
    body = _event(invoice)
    _post(client, body, webhook_secret)
    again = _post(client, body, webhook_secret)
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert Payment.objects.count() == 1 and WebhookEvent.objects.count() == 1


def test_a_tampered_body_is_refused_and_nothing_is_recorded(client, invoice, webhook_secret):
    body = _event(invoice, amount=Decimal("1.00"))
    ts = int(time.time())
    sig = webhook_sign(body=body, timestamp=ts, secret=webhook_secret)
    tampered = body.replace(b'"1.00"', b'"9999.00"')
    response = _post(client, tampered, webhook_secret, ts=ts, signature=sig)
    assert response.status_code == 400
    assert not Payment.objects.exists() and not WebhookEvent.objects.exists()


def test_a_stale_timestamp_is_refused_even_with_a_valid_signature(client, invoice, webhook_secret):
    response = _post(client, _event(invoice), webhook_secret, ts=int(time.time()) - 301)
    assert response.status_code == 400
    assert not Payment.objects.exists() and not WebhookEvent.objects.exists()


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
    assert WebhookEvent.objects.filter(event_id="evt_x").exists()
    assert not Payment.objects.exists()


def test_the_webhook_is_the_only_csrf_exempt_view():
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
    # test_notification_views.py) and SMS delivery receipts (notifications).
    others = ("api/", "payments/notify/", "receipts/")
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
        customer=CustomerFactory(), amount=Decimal("88.00"), due_date=dt.date.today()
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
    assert WebhookEvent.objects.filter(event_id="evt_race").count() == 1


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
    assert not WebhookEvent.objects.exists() and not Payment.objects.exists()
