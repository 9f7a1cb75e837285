"""The WeChat Pay adapter's settings (WECHATPAY_*): complete and loadable, or hidden."""

# The fixtures are imported from the fake's module; a test naming one is not a redefinition.
# ruff: noqa: F811

from __future__ import annotations

import pytest

from payments.providers import provider_get
from payments.providers.base import PaymentProvider, ProviderError, RecurringProvider
from payments.providers.wechat_pay import WeChatPayProvider
from tests.payments.fakes.wechat_pay import (  # noqa: F401 (fixtures)
    fake_wechat_pay,
    fake_wechat_pay_certificates,
)

REF = "INV2026000123P1"


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
