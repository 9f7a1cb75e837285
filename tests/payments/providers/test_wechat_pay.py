"""The WeChat Pay adapter through the real wechatpayv3 SDK against the local fake gateway
(tests/payments/fakes/wechat_pay.py): signed requests, verified answers, verified and
decrypted notifications."""

# The fixtures are imported from the fake's module; a test naming one is not a redefinition.
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt
import json
import logging
import socket
from decimal import Decimal
from pathlib import Path

import pytest
import requests
import time_machine
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import Client

from billing.models import Payment
from payments.providers.base import ProviderError
from payments.providers.wechat_pay import WeChatPayProvider
from payments.services.attempts import attempt_start
from tests.payments.fakes.wechat_pay import (  # noqa: F401 (fixtures)
    FakeWeChatPay,
    fake_wechat_pay,
)

REF = "INV2026000123P1"


def _order(fake: FakeWeChatPay, amount: str = "123.45", reference: str = REF):
    provider = WeChatPayProvider(fake.config)
    checkout = provider.checkout_start(
        reference=reference,
        amount=Decimal(amount),
        currency="CNY",
        description="续费 HT-2026-000123",
        return_url="https://renew.example.com/portal/invoices/1/",
        notify_url=fake.sink_url,
    )
    return provider, checkout


def _paid(fake: FakeWeChatPay, amount: str = "123.45"):
    provider, _ = _order(fake, amount)
    delivery = fake.pay(REF)
    return provider, delivery


# -- order creation ---------------------------------------------------------------------------


def test_it_creates_a_native_order_and_shows_its_code_url(fake_wechat_pay):
    with time_machine.travel(dt.datetime(2027, 3, 1, 4, 0, tzinfo=dt.UTC), tick=False):
        _, checkout = _order(fake_wechat_pay)

    order = fake_wechat_pay.orders[REF]
    assert checkout.qr_code == order["code_url"]
    assert checkout.qr_code.startswith("weixin://wxpay/bizpayurl?pr=")
    assert checkout.redirect_url == ""
    assert checkout.provider_reference == REF
    assert checkout.expires_at == dt.datetime(2027, 3, 1, 4, 30, tzinfo=dt.UTC)
    sent = fake_wechat_pay.requests[-1]["body"]
    assert sent["amount"] == {"total": 12345, "currency": "CNY"}
    assert sent["notify_url"] == fake_wechat_pay.sink_url
    assert sent["time_expire"] == "2027-03-01T12:30:00+08:00"
    assert (sent["appid"], sent["mchid"]) == (fake_wechat_pay.appid, fake_wechat_pay.mchid)


def test_it_keeps_the_description_within_127_bytes(fake_wechat_pay):
    provider = WeChatPayProvider(fake_wechat_pay.config)
    provider.checkout_start(
        reference=REF,
        amount=Decimal("1.00"),
        currency="CNY",
        description="续费" * 100,
        return_url="",
        notify_url=fake_wechat_pay.sink_url,
    )
    assert len(fake_wechat_pay.orders[REF]["description"].encode()) <= 127


def test_order_expiry_minutes_come_from_the_settings(fake_wechat_pay):
    provider = WeChatPayProvider(fake_wechat_pay.config | {"ORDER_EXPIRY_MINUTES": "5"})
    with time_machine.travel(dt.datetime(2028, 2, 29, 15, 58, tzinfo=dt.UTC), tick=False):
        checkout = provider.checkout_start(
            reference=REF,
            amount=Decimal("9.90"),
            currency="CNY",
            description="x",
            return_url="",
            notify_url=fake_wechat_pay.sink_url,
        )
    assert checkout.expires_at == dt.datetime(2028, 2, 29, 16, 3, tzinfo=dt.UTC)
    assert fake_wechat_pay.orders[REF]["time_expire"] == "2028-03-01T00:03:00+08:00"


@pytest.mark.parametrize(
    ("amount", "currency", "code"),
    [
        ("1.005", "CNY", "INVALID_AMOUNT"),
        ("0", "CNY", "INVALID_AMOUNT"),
        ("-1.00", "CNY", "INVALID_AMOUNT"),
        ("NaN", "CNY", "INVALID_AMOUNT"),
        ("10.00", "USD", "CURRENCY"),
    ],
)
def test_it_refuses_amounts_that_are_not_whole_fen_of_cny(fake_wechat_pay, amount, currency, code):
    provider = WeChatPayProvider(fake_wechat_pay.config)
    with pytest.raises(ProviderError) as caught:
        provider.checkout_start(
            reference=REF,
            amount=Decimal(amount),
            currency=currency,
            description="x",
            return_url="",
            notify_url=fake_wechat_pay.sink_url,
        )
    assert caught.value.code == code
    assert fake_wechat_pay.requests == []


# -- queries ----------------------------------------------------------------------------------


def test_query_of_an_unpaid_order_is_pending(fake_wechat_pay):
    provider, _ = _order(fake_wechat_pay)
    event = provider.payment_query(reference=REF)
    assert (event.kind, event.outcome, event.amount, event.reference) == (
        "payment",
        "pending",
        None,
        REF,
    )
    assert fake_wechat_pay.requests[-1]["path"] == (
        f"/v3/pay/transactions/out-trade-no/{REF}?mchid={fake_wechat_pay.mchid}"
    )


def test_query_of_a_paid_order_succeeds_with_its_amount(fake_wechat_pay):
    provider, _ = _paid(fake_wechat_pay, "88.80")
    event = provider.payment_query(reference=REF)
    transaction_id = fake_wechat_pay.orders[REF]["transaction_id"]
    assert (event.outcome, event.amount, event.currency) == ("succeeded", Decimal("88.80"), "CNY")
    assert event.event_id == f"query:{transaction_id}:succeeded"


@pytest.mark.parametrize(("state", "outcome"), [("CLOSED", "closed"), ("PAYERROR", "failed")])
def test_query_of_a_closed_or_failed_order(fake_wechat_pay, state, outcome):
    provider, _ = _order(fake_wechat_pay)
    fake_wechat_pay.close(REF, state)
    assert provider.payment_query(reference=REF).outcome == outcome


def test_query_of_an_unknown_order_is_none(fake_wechat_pay):
    assert WeChatPayProvider(fake_wechat_pay.config).payment_query(reference="NOSUCH0001") is None


# -- refunds ----------------------------------------------------------------------------------


def _refund(fake, provider, amount="23.45"):
    return provider.refund_start(
        payment_reference=REF,
        transaction_id=fake.orders[REF]["transaction_id"],
        refund_reference="RF2026000001",
        amount=Decimal(amount),
        total=Decimal("123.45"),
        currency="CNY",
        reason="提前解约退款",
        notify_url=fake.sink_url,
    )


@pytest.mark.parametrize(
    ("status", "outcome"), [("SUCCESS", "succeeded"), ("ABNORMAL", "failed"), ("CLOSED", "closed")]
)
def test_a_refund_is_pending_until_its_notification(fake_wechat_pay, status, outcome):
    provider, _ = _paid(fake_wechat_pay)
    started = _refund(fake_wechat_pay, provider)
    assert (started.kind, started.outcome, started.reference) == (
        "refund",
        "pending",
        "RF2026000001",
    )
    assert started.amount == Decimal("23.45")
    sent = fake_wechat_pay.requests[-1]["body"]
    assert sent["amount"] == {"refund": 2345, "total": 12345, "currency": "CNY"}

    delivery = fake_wechat_pay.complete_refund("RF2026000001", status)
    [event] = provider.notification_verify(body=delivery.body, headers=delivery.headers)

    assert (event.kind, event.outcome, event.reference) == ("refund", outcome, "RF2026000001")
    assert event.transaction_id == started.transaction_id
    assert (event.amount, event.currency) == (Decimal("23.45"), "CNY")
    queried = provider.refund_query(refund_reference="RF2026000001", payment_reference=REF)
    assert queried.outcome == outcome


def test_a_refund_can_succeed_at_once(fake_wechat_pay):
    provider, _ = _paid(fake_wechat_pay)
    fake_wechat_pay.refund_status_on_create = "SUCCESS"
    assert _refund(fake_wechat_pay, provider).outcome == "succeeded"


def test_a_refund_above_the_payment_is_refused(fake_wechat_pay):
    provider, _ = _paid(fake_wechat_pay)
    with pytest.raises(ProviderError) as caught:
        _refund(fake_wechat_pay, provider, amount="123.46")
    assert caught.value.code == "INVALID_AMOUNT"
    _refund(fake_wechat_pay, provider, amount="123.00")
    with pytest.raises(ProviderError) as caught:  # the gateway refuses the rest over 0.45
        provider.refund_start(
            payment_reference=REF,
            transaction_id="",
            refund_reference="RF2026000002",
            amount=Decimal("1.00"),
            total=Decimal("123.45"),
            currency="CNY",
            reason="",
            notify_url=fake_wechat_pay.sink_url,
        )
    assert (caught.value.code, caught.value.transient) == ("INVALID_REQUEST", False)


def test_query_of_an_unknown_refund_is_none(fake_wechat_pay):
    provider = WeChatPayProvider(fake_wechat_pay.config)
    assert provider.refund_query(refund_reference="RF0000000404", payment_reference=REF) is None


# -- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code", "transient"),
    [(500, "SYSTEM_ERROR", True), (429, "FREQUENCY_LIMITED", True), (400, "PARAM_ERROR", False)],
)
def test_an_api_error_is_a_provider_error(fake_wechat_pay, status, code, transient):
    fake_wechat_pay.fail_next(status, code)
    with pytest.raises(ProviderError) as caught:
        _order(fake_wechat_pay)
    assert (caught.value.code, caught.value.transient) == (code, transient)


def test_an_unreachable_gateway_is_a_transient_error(fake_wechat_pay):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    provider = WeChatPayProvider(fake_wechat_pay.config | {"API_BASE": f"http://127.0.0.1:{port}"})
    with pytest.raises(ProviderError) as caught:
        provider.payment_query(reference=REF)
    assert caught.value.transient


def test_an_answer_not_signed_by_the_platform_is_not_trusted(fake_wechat_pay):
    provider = WeChatPayProvider(fake_wechat_pay.config)
    fake_wechat_pay.platform_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(ProviderError) as caught:
        provider.checkout_start(
            reference=REF,
            amount=Decimal("1.00"),
            currency="CNY",
            description="x",
            return_url="",
            notify_url=fake_wechat_pay.sink_url,
        )
    assert caught.value.code == "SDK"


def test_a_request_signed_with_another_merchant_key_is_refused_by_the_gateway(fake_wechat_pay):
    provider = WeChatPayProvider(fake_wechat_pay.config | {"CERT_SERIAL_NO": "0123ABCD"})
    with pytest.raises(ProviderError) as caught:
        provider.payment_query(reference=REF)
    assert caught.value.code == "SIGN_ERROR"


def test_no_secret_reaches_the_log(fake_wechat_pay, caplog):
    caplog.set_level(logging.DEBUG)
    provider, delivery = _paid(fake_wechat_pay)
    provider.notification_verify(body=delivery.body, headers=delivery.headers)
    fake_wechat_pay.fail_next(500)
    with pytest.raises(ProviderError):
        provider.payment_query(reference=REF)
    key_text = Path(fake_wechat_pay.config["PRIVATE_KEY_FILE"]).read_text()
    key_body = key_text.splitlines()[1]
    assert fake_wechat_pay.api_v3_key not in caplog.text
    assert key_body not in caplog.text
    assert "Authorization" not in caplog.text
    assert REF in caplog.text  # the log does say what happened


# -- the fake's controls for browser tests ------------------------------------------------------


def test_the_fake_pays_through_its_http_control(fake_wechat_pay):
    provider, _ = _order(fake_wechat_pay)
    page = requests.get(f"{fake_wechat_pay.url}/_fake/scan/{REF}", timeout=10)
    assert f'action="/_fake/pay/{REF}"' in page.text
    answer = requests.post(f"{fake_wechat_pay.url}/_fake/pay/{REF}", timeout=10)
    assert answer.status_code == 200
    received = fake_wechat_pay.received[-1]
    [event] = provider.notification_verify(body=received.body, headers=received.headers)
    assert event.outcome == "succeeded"


# -- through the payments services and the notification endpoint ---------------------------------


@pytest.mark.django_db
def test_a_paid_order_is_recorded_once_through_the_notification_endpoint(
    fake_wechat_pay, settings, invoice
):
    settings.PAYMENT_PROVIDERS = {
        **settings.PAYMENT_PROVIDERS,
        "wechat_pay": fake_wechat_pay.config,
    }
    attempt = attempt_start(
        invoice=invoice,
        provider_code="wechat_pay",
        by=None,
        return_url="https://renew.example.com/portal/",
        notify_url=fake_wechat_pay.sink_url,
    )
    assert attempt.qr_code == fake_wechat_pay.orders[attempt.reference]["code_url"]
    delivery = fake_wechat_pay.pay(attempt.reference, notify=False)
    client = Client(enforce_csrf_checks=True)

    def post(body, headers):
        extra = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}
        return client.post(
            "/payments/notify/wechat_pay/", data=body, content_type="application/json", **extra
        )

    assert post(delivery.body, delivery.headers).status_code == 204
    assert post(delivery.body, delivery.headers).status_code == 204  # a replay
    forged = post(delivery.body.replace(b"TRANSACTION", b"TRANSACTIOM"), delivery.headers)
    assert forged.status_code == 500
    assert json.loads(forged.content)["code"] == "FAIL"
    [payment] = Payment.objects.filter(invoice=invoice)
    assert payment.amount == invoice.amount
    assert payment.reference == fake_wechat_pay.orders[attempt.reference]["transaction_id"]
