"""Production settings, loaded the way a deployment loads them: a fresh process, env vars only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent.parent

# Placeholders only: nothing connects anywhere while the checks run.
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "dummy-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJKLMNOPQRST",
    "DJANGO_ALLOWED_HOSTS": "example.com",
    "DATABASE_URL": "postgres://renewdesk:dummy@db.invalid:5432/renewdesk",
    "REDIS_URL": "redis://redis.invalid:6379/0",
    # Without an account for transfers the deploy check warns (payments.W001).
    "BANK_ACCOUNT_NAME": "RenewDesk Test Ltd.",
    "BANK_NAME": "Test Bank",
    "BANK_ACCOUNT_NUMBER": "0000 1111 2222",
}
# Variables that would leak the developer's or the CI's configuration into the child process.
LEAKY = {
    "DJANGO_SETTINGS_MODULE",
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "EMAIL_URL",
    "DJANGO_SECRET_KEY",
    "DJANGO_ALLOWED_HOSTS",
    "DJANGO_DEBUG",
    "DJANGO_SECURE_SSL_REDIRECT",
    "DJANGO_SECURE_HSTS_SECONDS",
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # set by tests/conftest.py for Playwright; fails --deploy
    "BANK_ACCOUNT_NAME",
    "BANK_NAME",
    "BANK_ACCOUNT_NUMBER",
    "BANK_SWIFT",
    "PAYMENTS_PUBLIC_URL",
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    child_env = {k: v for k, v in os.environ.items() if k not in LEAKY}
    child_env.update(env)
    return subprocess.run(  # noqa: S603 - fixed arguments, our own manage.py
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _production_settings(env: dict[str, str]) -> dict:
    code = (
        "import json; from django.conf import settings as s; print(json.dumps({"
        "'DEBUG': s.DEBUG, 'BROKER': s.CELERY_BROKER_URL, 'HSTS': s.SECURE_HSTS_SECONDS,"
        "'SSL_REDIRECT': s.SECURE_SSL_REDIRECT, 'EXEMPT': s.SECURE_REDIRECT_EXEMPT,"
        "'HASHER': s.PASSWORD_HASHERS[0], 'SESSION_SECURE': s.SESSION_COOKIE_SECURE,"
        "'CSRF_SECURE': s.CSRF_COOKIE_SECURE, 'XFO': s.X_FRAME_OPTIONS,"
        "'CSP': s.CONTENT_SECURITY_POLICY['DIRECTIVES']}))"
    )
    result = _manage("shell", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def production_settings() -> dict:
    # One child process for all the assertions below: each start costs seconds.
    return _production_settings(PRODUCTION_ENV)


def test_it_passes_the_deploy_check_with_dummy_secrets_from_the_environment():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_deploy_check_warns_when_no_bank_account_is_configured():
    env = {k: v for k, v in PRODUCTION_ENV.items() if not k.startswith("BANK_")}
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode != 0
    assert "payments.W001" in result.stdout + result.stderr


def test_it_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "DJANGO_SECRET_KEY"}

    result = _manage("check", env=env)

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_it_refuses_to_start_without_a_broker():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "REDIS_URL"}

    result = _manage("check", env=env)

    assert result.returncode != 0
    assert "REDIS_URL" in result.stderr


def test_it_hardens_https_cookies_hashing_framing_and_scripts(production_settings):
    settings = production_settings

    assert settings["DEBUG"] is False
    assert settings["HASHER"] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert settings["SSL_REDIRECT"] is True
    assert settings["HSTS"] >= 60 * 60 * 24 * 365
    assert settings["SESSION_SECURE"] is True
    assert settings["CSRF_SECURE"] is True
    assert settings["XFO"] == "DENY"
    assert settings["CSP"]["script-src"] == ["'self'"]
    assert settings["CSP"]["style-src"] == ["'self'"]


def test_it_uses_redis_as_the_broker_and_lets_health_probes_use_plain_http(production_settings):
    settings = production_settings

    assert settings["BROKER"] == "redis://redis.invalid:6379/0"
    assert settings["EXEMPT"] == [r"^healthz$"]


def test_it_prefers_an_explicit_celery_broker_url():
    env = {**PRODUCTION_ENV, "CELERY_BROKER_URL": "redis://redis.invalid:6379/1"}

    settings = _production_settings(env)

    assert settings["BROKER"] == "redis://redis.invalid:6379/1"
