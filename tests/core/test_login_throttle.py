"""Staff and admin logins are throttled per account and per address (django-axes)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pw-Secret-123"
NOW = timezone.make_aware(dt.datetime(2026, 3, 2, 10, 0))
STAFF_LOGIN = "/staff/login/"
ADMIN_LOGIN = "/admin/login/"


@pytest.fixture
def chen(db):
    return StaffFactory(username="chen.jie", language="en")


@pytest.fixture
def limit(settings):
    """A small limit keeps the tests short; one test runs with the shipped default."""
    settings.AXES_FAILURE_LIMIT = 3
    return 3


def _post(client, url, username, password, ip="203.0.113.7", **extra):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=ip, **extra)


def _fail(client, url, username, times, ip="203.0.113.7"):
    for _ in range(times):
        response = _post(client, url, username, "wrong-password", ip=ip)
        assert response.status_code in (200, 429)
        assert "_auth_user_id" not in client.session


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_it_refuses_the_right_password_after_25_wrong_ones_with_the_shipped_settings(client, chen):
    assert django_settings.AXES_FAILURE_LIMIT <= 25
    _fail(client, STAFF_LOGIN, "chen.jie", 25)

    response = _post(client, STAFF_LOGIN, "chen.jie", PASSWORD)

    assert not _logged_in(client)
    assert response.status_code == 429


def test_it_still_logs_in_below_the_limit(client, chen, limit):
    _fail(client, STAFF_LOGIN, "chen.jie", limit - 1)

    response = _post(client, STAFF_LOGIN, "chen.jie", PASSWORD)

    assert response.status_code == 302
    assert _logged_in(client)


def test_it_shows_the_lockout_on_the_login_page_in_english(client, chen, limit):
    _fail(client, STAFF_LOGIN, "chen.jie", limit)

    response = _post(client, STAFF_LOGIN, "chen.jie", PASSWORD)

    assert response.status_code == 429
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "Too many failed login attempts" in html
    assert 'action="/staff/login/"' in html  # the login page, not a bare error text
    assert "alert-danger" in html


def test_it_shows_the_lockout_in_chinese(client, chen, limit):
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    _fail(client, STAFF_LOGIN, "chen.jie", limit)

    response = _post(client, STAFF_LOGIN, "chen.jie", PASSWORD)

    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()


def test_the_lockout_starts_with_the_failure_that_reaches_the_limit(client, chen, limit):
    _fail(client, STAFF_LOGIN, "chen.jie", limit - 1)

    response = _post(client, STAFF_LOGIN, "chen.jie", "wrong-password")

    assert response.status_code == 429
    assert "Too many failed login attempts" in response.content.decode()


def test_the_admin_login_is_locked_by_failures_at_the_staff_login(client, chen, limit):
    chen.is_superuser = True
    chen.save()
    _fail(client, STAFF_LOGIN, "chen.jie", limit)

    response = _post(client, ADMIN_LOGIN, "chen.jie", PASSWORD)

    assert not _logged_in(client)
    assert response.status_code == 429
    html = response.content.decode()
    assert "Too many failed login attempts" in html
    assert 'id="login-form"' in html  # the admin's own login page


def test_the_staff_login_is_locked_by_failures_at_the_admin_login(client, chen, limit):
    _fail(client, ADMIN_LOGIN, "chen.jie", limit)

    response = _post(client, STAFF_LOGIN, "chen.jie", PASSWORD)

    assert not _logged_in(client)
    assert response.status_code == 429


def test_it_locks_the_account_whatever_address_the_attempts_come_from(client, chen, limit):
    for n in range(limit):
        _fail(client, STAFF_LOGIN, "chen.jie", 1, ip=f"198.51.100.{n + 1}")

    _post(client, STAFF_LOGIN, "chen.jie", PASSWORD, ip="192.0.2.200")

    assert not _logged_in(client)


def test_it_locks_an_address_that_tries_many_accounts(client, chen, limit):
    for n in range(limit):
        _fail(client, STAFF_LOGIN, f"guess{n}", 1, ip="198.51.100.9")

    _post(client, STAFF_LOGIN, "chen.jie", PASSWORD, ip="198.51.100.9")
    assert not _logged_in(client)

    # The account itself is not locked: from another address it logs in.
    response = _post(client, STAFF_LOGIN, "chen.jie", PASSWORD, ip="192.0.2.200")
    assert response.status_code == 302
    assert _logged_in(client)


def test_the_lock_ends_after_the_cool_off_time(client, chen, limit, settings):
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=30)
    with time_machine.travel(NOW, tick=False):
        _fail(client, STAFF_LOGIN, "chen.jie", limit)
    with time_machine.travel(NOW + dt.timedelta(minutes=29), tick=False):
        _post(client, STAFF_LOGIN, "chen.jie", PASSWORD)
        assert not _logged_in(client)
    with time_machine.travel(NOW + dt.timedelta(minutes=31), tick=False):
        response = _post(client, STAFF_LOGIN, "chen.jie", PASSWORD)
        assert response.status_code == 302
        assert _logged_in(client)


def test_axes_reset_unlocks_everyone(client, chen, limit):
    _fail(client, STAFF_LOGIN, "chen.jie", limit)

    call_command("axes_reset", verbosity=0)

    response = _post(client, STAFF_LOGIN, "chen.jie", PASSWORD)
    assert response.status_code == 302
    assert _logged_in(client)


def test_axes_reset_username_unlocks_one_account(client, chen, limit):
    _fail(client, STAFF_LOGIN, "chen.jie", limit, ip="198.51.100.1")

    call_command("axes_reset_username", "chen.jie", verbosity=0)

    # Another address: the per-address count of the first one is not in the way.
    response = _post(client, STAFF_LOGIN, "chen.jie", PASSWORD, ip="198.51.100.2")
    assert response.status_code == 302


def test_an_admin_unlocks_an_account_by_deleting_its_access_attempts(
    client, admin_client, chen, limit
):
    from axes.models import AccessAttempt

    _fail(client, STAFF_LOGIN, "chen.jie", limit)
    attempt = AccessAttempt.objects.get(username="chen.jie")

    changelist = admin_client.get(reverse("admin:axes_accessattempt_changelist"))
    assert changelist.status_code == 200
    assert "chen.jie" in changelist.content.decode()
    response = admin_client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()

    response = _post(client, STAFF_LOGIN, "chen.jie", PASSWORD)
    assert response.status_code == 302


def test_a_locked_out_visitor_still_sees_the_login_form_by_get(client, chen, limit):
    _fail(client, STAFF_LOGIN, "chen.jie", limit)

    response = client.get(STAFF_LOGIN, REMOTE_ADDR="203.0.113.7")

    assert response.status_code == 200


def test_it_records_no_password_in_the_access_attempts(client, chen, limit):
    from axes.models import AccessAttempt

    _post(client, STAFF_LOGIN, "chen.jie", "my-secret-guess")

    attempt = AccessAttempt.objects.get(username="chen.jie")
    assert "my-secret-guess" not in attempt.post_data


def test_the_test_client_login_still_works_without_a_request(client):
    UserFactory(username="plain", is_staff=True)

    assert client.login(username="plain", password=PASSWORD)
    assert not client.login(username="plain", password="wrong")
    assert client.get(reverse("staff-tasks")).status_code == 200


def test_the_lockout_settings_come_from_the_environment():
    from config.settings.base import env

    assert django_settings.AXES_FAILURE_LIMIT == env.int("AXES_FAILURE_LIMIT", default=10)
    assert django_settings.AXES_LOCKOUT_PARAMETERS == ["username", "ip_address"]
    assert django_settings.AXES_IPWARE_META_PRECEDENCE_ORDER == ["REMOTE_ADDR"]


def test_a_forged_forwarded_for_header_does_not_change_the_counted_address(client, chen, limit):
    for n in range(limit):
        _post(
            client,
            STAFF_LOGIN,
            f"guess{n}",
            "wrong-password",
            ip="198.51.100.9",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n + 1}",
        )

    _post(client, STAFF_LOGIN, "chen.jie", PASSWORD, ip="198.51.100.9")

    assert not _logged_in(client)


def test_production_counts_the_address_the_proxy_appended():
    from tests.core.test_settings import PRODUCTION_ENV, _manage

    code = (
        "import json; from django.test import RequestFactory as F;"
        "from axes.helpers import get_client_ip_address as ip; r = F();"
        "print(json.dumps(["
        "ip(r.post('/', REMOTE_ADDR='10.0.0.2', HTTP_X_FORWARDED_FOR='203.0.113.5')),"
        "ip(r.post('/', REMOTE_ADDR='10.0.0.2', HTTP_X_FORWARDED_FOR='192.0.2.1, 203.0.113.5')),"
        "ip(r.post('/', REMOTE_ADDR='10.0.0.2'))]))"
    )
    result = _manage("shell", "-c", code, env=PRODUCTION_ENV)

    assert result.returncode == 0, result.stderr
    # The forged left-hand entry is ignored; without the header, the peer's address.
    assert result.stdout.strip().splitlines()[-1] == ('["203.0.113.5", "203.0.113.5", "10.0.0.2"]')


def test_a_lockout_outside_the_login_pages_gets_a_page_of_its_own(rf):
    from django.http import HttpResponse

    from core.auth import login_lockout_response

    request = rf.post("/somewhere/")
    response = login_lockout_response(request, HttpResponse("the view's own page"), None)

    assert response.status_code == 429
    html = response.content.decode()
    assert "Too many failed login attempts" in html
    assert "the view's own page" not in html
    assert reverse("staff-login") in html
