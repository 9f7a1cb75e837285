"""POST /payments/notify/<provider>/: the only new csrf_exempt views, verified first."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import get_resolver

from billing.models import Payment
from payments.models import ProviderNotification
from payments.providers import provider_get
from payments.services.attempts import attempt_start

pytestmark = pytest.mark.django_db


def _attempt(invoice):
    return attempt_start(
        invoice=invoice,
        provider_code="wechat_pay",
        by=None,
        return_url="https://r/",
        notify_url="https://n/",
    )


def _post(client, code, body, headers):
    extra = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}
    return client.post(
        f"/payments/notify/{code}/", data=body, content_type="application/json", **extra
    )


def test_a_verified_notification_gets_the_providers_success_reply(fake_world, invoice):
    attempt = _attempt(invoice)
    fake = provider_get("wechat_pay")
    fake.pay(attempt.reference)
    body, headers = fake.notification(attempt.reference)
    # enforce_csrf_checks: the view needs no token, the signature authenticates it
    response = _post(Client(enforce_csrf_checks=True), "wechat_pay", body, headers)
    assert response.status_code == 200 and response.content == b'{"code":"SUCCESS"}'
    assert Payment.objects.count() == 1


def test_a_bad_signature_gets_the_failure_reply_and_nothing_is_stored(fake_world, invoice, client):
    attempt = _attempt(invoice)
    fake = provider_get("wechat_pay")
    fake.pay(attempt.reference)
    body, headers = fake.notification(attempt.reference)
    headers["X-Fake-Signature"] = "0" * 64
    response = _post(client, "wechat_pay", body, headers)
    assert response.status_code == 400
    assert not ProviderNotification.objects.exists() and not Payment.objects.exists()


def test_unknown_providers_and_get_are_refused(fake_world, client):
    assert _post(client, "paypal", b"{}", {}).status_code == 404
    assert client.get("/payments/notify/wechat_pay/").status_code == 405


def test_a_failure_while_applying_answers_failure_so_the_provider_retries(
    fake_world, invoice, client, monkeypatch
):
    from payments.services import notifications

    attempt = _attempt(invoice)
    fake = provider_get("wechat_pay")
    fake.pay(attempt.reference)
    body, headers = fake.notification(attempt.reference)

    def boom(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(notifications, "payment_event_apply", boom)
    assert _post(client, "wechat_pay", body, headers).status_code == 400
    assert not ProviderNotification.objects.exists()  # rolled back: the retry will apply it


def test_the_notify_views_are_the_only_new_csrf_exempt_views():
    exempt = []

    def walk(patterns, prefix=""):
        for p in patterns:
            if hasattr(p, "url_patterns"):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif getattr(p.callback, "csrf_exempt", False):
                exempt.append(prefix + str(p.pattern))

    walk(get_resolver().url_patterns)
    payments = [e for e in exempt if e.startswith("payments/")]
    assert payments == ["payments/notify/<str:provider>/"]
    assert "webhooks/payments/" in exempt  # the generic provider webhook, kept
