"""Fixtures for the SMS provider tests: each fake started on a free port with keys made
for the test, the settings pointing the official SDK at it over plain HTTP."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from notifications.models import SmsTemplate
from notifications.services import message_enqueue
from tests.factories import ContactFactory, CustomerFactory

from .fakes.aliyun_sms import AliyunSmsFake
from .fakes.tencent_sms import TencentSmsFake

PHONE = "+8613800000000"


@pytest.fixture
def aliyun_fake(settings) -> Iterator[AliyunSmsFake]:
    fake = AliyunSmsFake(
        access_key_id="LTAI" + secrets.token_hex(8), access_key_secret=secrets.token_hex(15)
    ).start()
    settings.NOTIFICATIONS_SMS_BACKEND = "aliyun"
    settings.SMS_PROVIDERS = {
        **settings.SMS_PROVIDERS,
        "aliyun": {
            "ACCESS_KEY_ID": fake.access_key_id,
            "ACCESS_KEY_SECRET": fake.access_key_secret,
            "ENDPOINT": fake.host,
            "PROTOCOL": "http",
        },
    }
    yield fake
    fake.stop()


@pytest.fixture
def tencent_fake(settings) -> Iterator[TencentSmsFake]:
    fake = TencentSmsFake(
        secret_id="AKID" + secrets.token_hex(8),
        secret_key=secrets.token_hex(16),
        sdk_app_id="1400" + str(secrets.randbelow(10**6)).zfill(6),
    ).start()
    settings.NOTIFICATIONS_SMS_BACKEND = "tencent"
    settings.SMS_PROVIDERS = {
        **settings.SMS_PROVIDERS,
        "tencent": {
            "SECRET_ID": fake.secret_id,
            "SECRET_KEY": fake.secret_key,
            "SDK_APP_ID": fake.sdk_app_id,
            "ENDPOINT": fake.host,
            "SCHEME": "http",
        },
    }
    yield fake
    fake.stop()


@pytest.fixture
def sms_message(db):
    """An SMS to a customer's phone, rendered (kind care_birthday: a file template)."""

    def make(*, key: str = "sms-test", language: str = "en"):
        customer = CustomerFactory(language=language, name="Lin Wei")
        ContactFactory(customer=customer, phone=PHONE)
        return message_enqueue(
            recipient_customer=customer,
            channel="sms",
            kind="care_birthday",
            language=language,
            context={"customer_name": customer.name, "year": 2026},
            dedupe_key=key,
        )

    return make


def sms_template(provider: str, *, language: str = "en", params: str = "name=customer_name"):
    return SmsTemplate.objects.create(
        provider=provider,
        kind="care_birthday",
        language=language,
        template_code="SMS_465000001" if provider == "aliyun" else "1990001",
        sign_name="RenewDesk",
        param_names=params,
    )
