from __future__ import annotations

import pytest
from django.urls import reverse

from portal.services import magic_link_make

pytestmark = pytest.mark.django_db

LIMITS = {
    "link": {"per_address": 3, "per_ip": 5, "window": 900},
    "login": {"per_address": 3, "per_ip": 5, "window": 900},
}


@pytest.fixture(autouse=True)
def _small_limits(settings):
    settings.RENEWDESK = {**settings.RENEWDESK, "PORTAL_RATE_LIMITS": LIMITS}


def _post_link(client, email, ip="10.0.0.1"):
    return client.post(reverse("portal:login"), {"email": email}, REMOTE_ADDR=ip)


def _post_password(client, email, password, ip="10.0.0.1"):
    return client.post(
        reverse("portal:password-login"), {"email": email, "password": password}, REMOTE_ADDR=ip
    )


def test_link_requests_for_one_address_trip_the_limit(client, portal_user):
    statuses = [
        _post_link(client, "ann@acme.example", ip=f"10.0.0.{n}").status_code for n in range(4)
    ]

    assert statuses == [302, 302, 302, 429]


def test_link_requests_from_one_ip_trip_the_limit_across_addresses(client, portal_user):
    statuses = [_post_link(client, f"x{n}@example.com").status_code for n in range(6)]

    assert statuses == [302] * 5 + [429]


def test_the_limit_applies_to_unknown_addresses_alike(client, db):
    statuses = [
        _post_link(client, "ghost@example.com", ip=f"10.0.1.{n}").status_code for n in range(4)
    ]

    assert statuses[-1] == 429


def test_the_rate_limited_page_explains_and_is_translated(client, portal_user):
    for n in range(3):
        _post_link(client, "ann@acme.example", ip=f"10.0.2.{n}")
    client.cookies["django_language"] = "zh-hans"

    response = _post_link(client, "ann@acme.example", ip="10.0.2.9")

    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    assert "15" in response.content.decode()
    assert "尝试" in response.content.decode()


def test_failed_password_logins_lock_the_address_even_for_the_right_password(client, portal_user):
    for n in range(3):
        assert (
            _post_password(client, "ann@acme.example", "wrong", ip=f"10.1.0.{n}").status_code == 200
        )

    response = _post_password(client, "ann@acme.example", "pw-Secret-123", ip="10.1.0.9")

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_failed_password_logins_from_one_ip_trip_the_limit(client, portal_user):
    for n in range(5):
        _post_password(client, f"x{n}@example.com", "wrong")

    assert _post_password(client, "ann@acme.example", "pw-Secret-123").status_code == 429


def test_a_successful_login_clears_the_address_failures(client, portal_user):
    for n in range(2):
        _post_password(client, "ann@acme.example", "wrong", ip=f"10.2.0.{n}")
    assert (
        _post_password(client, "ann@acme.example", "pw-Secret-123", ip="10.2.0.8").status_code
        == 302
    )
    client.post(reverse("portal:logout"))

    statuses = [
        _post_password(client, "ann@acme.example", "wrong", ip=f"10.2.1.{n}").status_code
        for n in range(3)
    ]

    assert statuses == [200, 200, 200]


def test_bad_link_tokens_count_as_failed_logins(client, portal_user):
    for _ in range(5):
        client.post(reverse("portal:magic-link", kwargs={"token": "bad"}), REMOTE_ADDR="10.3.0.1")
    good = magic_link_make(user=portal_user)

    response = client.post(
        reverse("portal:magic-link", kwargs={"token": good}), REMOTE_ADDR="10.3.0.1"
    )

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_behind_the_proxy_each_customer_has_their_own_ip_counter(client, db, settings):
    # given production's rule: the X-Forwarded-For entry the proxy appended is the client
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
    settings.AXES_IPWARE_PROXY_COUNT = 0
    proxy = "10.9.9.9"

    def through_proxy(n, client_addr):
        return client.post(
            reverse("portal:login"),
            {"email": f"x{n}@example.com"},
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR=client_addr,
        ).status_code

    # when one client uses up its 5 link requests, another one behind the same proxy
    first = [through_proxy(n, "203.0.113.7") for n in range(6)]
    other = through_proxy(99, "198.51.100.4")

    assert first == [302] * 5 + [429]
    assert other == 302


def test_without_the_proxy_setting_a_forged_forwarded_for_changes_nothing(client, db):
    statuses = [
        client.post(
            reverse("portal:login"),
            {"email": f"x{n}@example.com"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        ).status_code
        for n in range(6)
    ]

    assert statuses == [302] * 5 + [429]
