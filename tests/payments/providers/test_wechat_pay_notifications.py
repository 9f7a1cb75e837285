"""WeChat Pay notifications through the real wechatpayv3 SDK: signed by the fake gateway
(tests/payments/fakes/wechat_pay.py), verified, decrypted and read by the adapter; every
way of being wrong is refused."""

# The fixtures are imported from the fake's module; a test naming one is not a redefinition.
# ruff: noqa: F811

from __future__ import annotations

import json
import time
from decimal import Decimal
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import RequestFactory

from payments.providers.base import NotificationRejected
from payments.providers.wechat_pay import WeChatPayProvider
from tests.payments.fakes.wechat_pay import (  # noqa: F401 (fixtures)
    FakeWeChatPay,
    fake_wechat_pay,
    fake_wechat_pay_certificates,
)

REF = "INV2026000123P1"


def _order(fake: FakeWeChatPay, amount: str = "123.45"):
    provider = WeChatPayProvider(fake.config)
    provider.checkout_start(
        reference=REF,
        amount=Decimal(amount),
        currency="CNY",
        description="续费 HT-2026-000123",
        return_url="",
        notify_url=fake.sink_url,
    )
    return provider, None


def _paid(fake: FakeWeChatPay, amount: str = "123.45"):
    provider, _ = _order(fake, amount)
    return provider, fake.pay(REF)


# -- notifications ----------------------------------------------------------------------------


@pytest.mark.parametrize("amount", ["0.01", "123.45", "98765.40"])
def test_a_paid_notification_verifies_and_gives_the_amount_in_yuan(fake_wechat_pay, amount):
    provider, delivery = _paid(fake_wechat_pay, amount)

    assert delivery.status == 204  # the sink took it
    received = fake_wechat_pay.received[-1]
    [event] = provider.notification_verify(body=received.body, headers=received.headers)
    assert event.kind == "payment"
    assert event.outcome == "succeeded"
    assert event.reference == REF
    assert event.transaction_id == fake_wechat_pay.orders[REF]["transaction_id"]
    assert event.amount == Decimal(amount)
    assert event.currency == "CNY"
    assert event.event_id == json.loads(received.body)["id"]
    assert "payer" not in event.raw


def test_it_reports_what_was_paid_not_what_was_asked(fake_wechat_pay):
    provider, _ = _order(fake_wechat_pay, "100.00")
    delivery = fake_wechat_pay.pay(REF, amount=Decimal("99.99"), notify=False)
    [event] = provider.notification_verify(body=delivery.body, headers=delivery.headers)
    assert event.amount == Decimal("99.99")


def test_a_replayed_notification_keeps_its_event_id(fake_wechat_pay):
    provider, delivery = _paid(fake_wechat_pay)
    first = provider.notification_verify(body=delivery.body, headers=delivery.headers)
    again = provider.notification_verify(body=delivery.body, headers=delivery.headers)
    assert first[0].event_id == again[0].event_id


def test_django_request_headers_are_read_case_insensitively(fake_wechat_pay):
    provider, delivery = _paid(fake_wechat_pay)
    request = RequestFactory().post(
        "/payments/notify/wechat_pay/",
        data=delivery.body,
        content_type="application/json",
        headers={name.lower(): value for name, value in delivery.headers.items()},
    )
    [event] = provider.notification_verify(body=request.body, headers=request.headers)
    assert event.outcome == "succeeded"


def _tampered_body(fake, provider):
    delivery = fake.pay(REF, notify=False)
    body, headers = delivery.body, delivery.headers
    data = json.loads(body)
    data["summary"] = "tampered"
    return json.dumps(data, ensure_ascii=False).encode(), headers


def _forged(fake, **wrong):
    resource = fake.transaction(fake.orders[REF])
    return fake.build_notification("TRANSACTION.SUCCESS", resource, **wrong)


BAD_NOTIFICATIONS = {
    "tampered body": _tampered_body,
    "wrong signature": lambda fake, _: _forged(
        fake, signing_key=rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ),
    "stale timestamp": lambda fake, _: _forged(fake, timestamp=int(time.time()) - 301),
    "future timestamp": lambda fake, _: _forged(fake, timestamp=int(time.time()) + 360),
    "wrong serial": lambda fake, _: _forged(fake, serial="PUB_KEY_ID_0000000000000000"),
    "bad ciphertext": lambda fake, _: _forged(fake, api_v3_key="0" * 32),
}


@pytest.mark.parametrize("case", list(BAD_NOTIFICATIONS))
def test_an_unverifiable_notification_is_rejected(fake_wechat_pay, case):
    provider, _ = _order(fake_wechat_pay)
    fake_wechat_pay.pay(REF, notify=False)
    body, headers = BAD_NOTIFICATIONS[case](fake_wechat_pay, provider)
    with pytest.raises(NotificationRejected):
        provider.notification_verify(body=body, headers=headers)


def test_public_key_mode_refuses_another_serial_without_asking_the_gateway(fake_wechat_pay):
    provider, _ = _order(fake_wechat_pay)
    fake_wechat_pay.pay(REF, notify=False)
    body, headers = _forged(fake_wechat_pay, serial="5157F09EFDC096DE15EBE81A47057A7232F1B8E1")
    calls = len(fake_wechat_pay.requests)
    with pytest.raises(NotificationRejected):
        provider.notification_verify(body=body, headers=headers)
    assert len(fake_wechat_pay.requests) == calls


def test_a_notification_just_inside_the_tolerance_verifies(fake_wechat_pay):
    provider, _ = _order(fake_wechat_pay)
    fake_wechat_pay.pay(REF, notify=False)
    body, headers = _forged(fake_wechat_pay, timestamp=int(time.time()) - 240)
    assert provider.notification_verify(body=body, headers=headers)[0].outcome == "succeeded"


@pytest.mark.parametrize(
    "header",
    ["Wechatpay-Signature", "Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Serial"],
)
def test_a_notification_without_a_signature_header_is_rejected(fake_wechat_pay, header):
    provider, delivery = _paid(fake_wechat_pay)
    headers = {k: v for k, v in delivery.headers.items() if k != header}
    with pytest.raises(NotificationRejected):
        provider.notification_verify(body=delivery.body, headers=headers)


def test_another_signature_type_is_rejected(fake_wechat_pay):
    provider, delivery = _paid(fake_wechat_pay)
    headers = delivery.headers | {"Wechatpay-Signature-Type": "WECHATPAY2-SM2-WITH-SM3"}
    with pytest.raises(NotificationRejected):
        provider.notification_verify(body=delivery.body, headers=headers)


@pytest.mark.parametrize(
    "change",
    [
        {"mchid": "1900000999"},
        {"appid": "wx0000000000000000"},
        {"amount": {"total": "123.45", "currency": "CNY"}},
        {"trade_state": "NOTPAY"},
        {"out_trade_no": ""},
    ],
)
def test_a_signed_but_wrong_resource_is_rejected(fake_wechat_pay, change):
    provider, _ = _order(fake_wechat_pay)
    fake_wechat_pay.pay(REF, notify=False)
    resource = fake_wechat_pay.transaction(fake_wechat_pay.orders[REF]) | change
    body, headers = fake_wechat_pay.build_notification("TRANSACTION.SUCCESS", resource)
    with pytest.raises(NotificationRejected):
        provider.notification_verify(body=body, headers=headers)


def test_a_signed_body_that_is_not_json_is_rejected(fake_wechat_pay):
    provider = WeChatPayProvider(fake_wechat_pay.config)
    body = "not json"
    headers = fake_wechat_pay.signed_headers(body)
    with pytest.raises(NotificationRejected):
        provider.notification_verify(body=body.encode(), headers=headers)


def test_another_verified_event_type_is_ignored(fake_wechat_pay):
    provider = WeChatPayProvider(fake_wechat_pay.config)
    body, headers = fake_wechat_pay.build_notification(
        "TRANSACTION.CLOSED", {"mchid": fake_wechat_pay.mchid}, event_id="EV-1"
    )
    [event] = provider.notification_verify(body=body, headers=headers)
    assert (event.kind, event.event_id, event.detail) == ("ignored", "EV-1", "TRANSACTION.CLOSED")


def test_the_reply_is_what_wechat_pay_expects():
    provider = WeChatPayProvider({})
    ok = provider.notification_reply(accepted=True)
    assert (ok.status, ok.body) == (204, b"")
    failed = provider.notification_reply(accepted=False)
    assert failed.status >= 400
    assert json.loads(failed.body)["code"] == "FAIL"
    assert failed.content_type.startswith("application/json")


# -- platform certificate mode ----------------------------------------------------------------


def test_certificate_mode_verifies_notifications(fake_wechat_pay_certificates):
    fake = fake_wechat_pay_certificates
    provider, delivery = _paid(fake)
    [event] = provider.notification_verify(body=delivery.body, headers=delivery.headers)
    assert event.amount == Decimal("123.45")
    with pytest.raises(NotificationRejected):
        provider.notification_verify(
            body=delivery.body, headers=delivery.headers | {"Wechatpay-Serial": "ABCDEF01"}
        )


def test_certificate_mode_fetches_a_rotated_certificate(fake_wechat_pay_certificates):
    fake = fake_wechat_pay_certificates
    provider, _ = _order(fake)
    fake.rotate_platform_certificate()
    delivery = fake.pay(REF, notify=False)

    [event] = provider.notification_verify(body=delivery.body, headers=delivery.headers)

    assert event.outcome == "succeeded"
    assert any(r["path"] == "/v3/certificates" for r in fake.requests)
    saved = Path(fake.config["PLATFORM_CERT_DIR"]) / f"{delivery.headers['Wechatpay-Serial']}.pem"
    assert saved.exists()
