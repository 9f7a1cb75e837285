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
import time
from decimal import Decimal
from pathlib import Path

import pytest
import requests
import time_machine
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import Client, RequestFactory

from billing.models import Payment
from payments.providers import provider_get
from payments.providers.base import (
    NotificationRejected,
    PaymentProvider,
    ProviderError,
    RecurringProvider,
)
from payments.providers.wechat_pay import WeChatPayProvider
from payments.providers.wechat_pay_events import fen_to_yuan, yuan_to_fen
from payments.services.attempts import attempt_start
from tests.payments.fakes.wechat_pay import (  # noqa: F401 (fixtures)
    FakeWeChatPay,
    fake_wechat_pay,
    fake_wechat_pay_certificates,
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


@pytest.mark.parametrize(
    ("amount", "fen"), [("0.01", 1), ("1.10", 110), ("123.45", 12345), ("100000", 10000000)]
)
def test_yuan_and_fen_convert_exactly(amount, fen):
    assert yuan_to_fen(Decimal(amount)) == fen
    assert fen_to_yuan(fen) == Decimal(amount)
    assert fen_to_yuan(fen).as_tuple().exponent == -2


@pytest.mark.parametrize("fen", ["100", 1.5, True, -1, None])
def test_fen_must_be_a_json_integer(fen):
    with pytest.raises(ValueError):
        fen_to_yuan(fen)


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


# -- configuration ----------------------------------------------------------------------------


def test_it_is_a_payment_provider_without_recurring_payments(fake_wechat_pay, settings):
    settings.PAYMENT_PROVIDERS = {
        **settings.PAYMENT_PROVIDERS,
        "wechat_pay": fake_wechat_pay.config,
    }
    provider = provider_get("wechat_pay")
    assert isinstance(provider, WeChatPayProvider)
    assert isinstance(provider, PaymentProvider)
    assert not isinstance(provider, RecurringProvider)
    assert provider.is_configured()


def test_it_is_not_configured_without_settings(settings):
    settings.PAYMENT_PROVIDERS = {**settings.PAYMENT_PROVIDERS, "wechat_pay": {}}
    assert not WeChatPayProvider().is_configured()


@pytest.mark.parametrize(
    "key",
    [
        "MCHID",
        "APPID",
        "API_V3_KEY",
        "CERT_SERIAL_NO",
        "PRIVATE_KEY_FILE",
        "PUBLIC_KEY_ID",
        "PUBLIC_KEY_FILE",
    ],
)
def test_it_is_not_configured_with_a_setting_missing(fake_wechat_pay, key):
    config = {k: v for k, v in fake_wechat_pay.config.items() if k != key}
    provider = WeChatPayProvider(config)
    assert not provider.is_configured()
    assert key in " ".join(provider.config_problems())
    with pytest.raises(ProviderError):
        provider.payment_query(reference=REF)


@pytest.mark.parametrize("key", ["PRIVATE_KEY_FILE", "PUBLIC_KEY_FILE"])
def test_it_is_not_configured_with_an_unreadable_or_broken_key_file(fake_wechat_pay, tmp_path, key):
    missing = WeChatPayProvider(fake_wechat_pay.config | {key: str(tmp_path / "absent.pem")})
    a_folder = WeChatPayProvider(fake_wechat_pay.config | {key: str(tmp_path)})
    broken_file = tmp_path / "broken.pem"
    broken_file.write_text("-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n")
    broken = WeChatPayProvider(fake_wechat_pay.config | {key: str(broken_file)})
    assert not missing.is_configured()
    assert not a_folder.is_configured()
    assert not broken.is_configured()


def test_it_is_not_configured_with_an_api_v3_key_of_the_wrong_length(fake_wechat_pay):
    assert not WeChatPayProvider(fake_wechat_pay.config | {"API_V3_KEY": "short"}).is_configured()


def test_certificate_mode_needs_a_certificate_in_its_folder(fake_wechat_pay_certificates, tmp_path):
    fake = fake_wechat_pay_certificates
    assert WeChatPayProvider(fake.config).is_configured()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert not WeChatPayProvider(fake.config | {"PLATFORM_CERT_DIR": str(empty)}).is_configured()
    absent = fake.config | {"PLATFORM_CERT_DIR": str(tmp_path / "absent")}
    assert not WeChatPayProvider(absent).is_configured()


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
