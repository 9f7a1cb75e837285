from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from core.tokens import token_make
from notifications.models import Message
from portal.services import magic_link_make
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

LOGIN = "/portal/login/"


@pytest.fixture
def request_link(client, django_capture_on_commit_callbacks):
    def _request(email="ann@acme.example"):
        # The e-mail is delivered on commit; tests run inside a transaction.
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(LOGIN, {"email": email})

    return _request


def _link_path_from_mail() -> str:
    body = mail.outbox[-1].body
    return re.search(r"https?://[^/\s]+(/portal/login/link/\S+/)", body).group(1)


def test_it_emails_a_login_link_through_the_outbox(client, portal_user, request_link):
    response = request_link()

    assert response.status_code == 302
    assert response.url == reverse("portal:login-sent")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ann@acme.example"]
    assert "/portal/login/link/" in mail.outbox[0].body
    message = Message.objects.get(kind="portal_login_link")
    assert message.user == portal_user
    assert message.status == "sent"


def test_it_answers_the_same_for_an_unknown_address(client, portal_user, request_link):
    known = request_link("ann@acme.example")
    unknown = request_link("nobody@nowhere.example")

    assert known.status_code == unknown.status_code == 302
    assert known.url == unknown.url
    assert len(mail.outbox) == 1


def test_it_matches_the_address_case_insensitively(client, portal_user, request_link):
    request_link("ANN@Acme.Example")

    assert mail.outbox[0].to == ["ann@acme.example"]


def test_it_sends_no_link_to_staff_without_a_portal_account(client, db, request_link):
    StaffFactory(email="staff@renewdesk.example")

    request_link("staff@renewdesk.example")

    assert mail.outbox == []


def test_it_shows_a_field_error_for_an_invalid_address(client, db):
    response = client.post(LOGIN, {"email": "not-an-address"})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="id_email_error"' in html
    assert 'id="id_email_error"' in html


def test_opening_the_link_changes_nothing_until_confirmed(client, portal_user, request_link):
    request_link()
    path = _link_path_from_mail()

    response = client.get(path)

    assert response.status_code == 200
    assert b"ann@acme.example" in response.content
    assert "_auth_user_id" not in client.session
    portal_user.refresh_from_db()
    assert portal_user.last_login is None


def test_confirming_the_link_logs_in_and_lands_on_the_dashboard(
    client, portal_user, contract, request_link
):
    request_link()
    path = _link_path_from_mail()

    response = client.post(path)

    assert response.status_code == 302
    assert response.url == reverse("portal:home")
    assert int(client.session["_auth_user_id"]) == portal_user.pk
    assert client.get(reverse("portal:home")).status_code == 200


def test_a_link_works_only_once(client, portal_user, request_link):
    request_link()
    path = _link_path_from_mail()
    client.post(path)
    client.post(reverse("portal:logout"))

    again = client.post(path)
    again_get = client.get(path)

    assert again.status_code == 410
    assert again_get.status_code == 410
    assert b"already been used" in again.content
    assert "_auth_user_id" not in client.session


def test_a_link_is_refused_after_15_minutes(client, portal_user, request_link):
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC), tick=False):
        request_link()
        path = _link_path_from_mail()
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, 14, 50, tzinfo=dt.UTC), tick=False):
        assert client.get(path).status_code == 200
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, 15, 1, tzinfo=dt.UTC), tick=False):
        response = client.post(path)

    assert response.status_code == 410
    assert b"expired" in response.content
    assert "_auth_user_id" not in client.session


def test_a_tampered_link_is_refused(client, portal_user):
    token = magic_link_make(user=portal_user)
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")

    response = client.post(reverse("portal:magic-link", kwargs={"token": tampered}))

    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


def test_a_token_made_for_another_purpose_is_refused(client, portal_user):
    token = token_make(purpose="renew", obj_id=f"{portal_user.pk}:x", max_age=900)

    response = client.post(reverse("portal:magic-link", kwargs={"token": token}))

    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


def test_a_link_is_bound_to_the_address_it_was_sent_to(client, portal_user):
    token = magic_link_make(user=portal_user)
    portal_user.email = "new@acme.example"
    portal_user.save()

    response = client.post(reverse("portal:magic-link", kwargs={"token": token}))

    assert response.status_code in (400, 410)
    assert "_auth_user_id" not in client.session


def test_the_token_error_page_speaks_the_users_language(client, portal_user):
    client.cookies["django_language"] = "zh-hans"

    response = client.get(reverse("portal:magic-link", kwargs={"token": "garbage"}))

    assert response.status_code == 400
    assert "链接" in response.content.decode()


def test_logging_in_makes_older_links_unusable_too(client, portal_user):
    first = magic_link_make(user=portal_user)
    client.force_login(portal_user)
    client.logout()

    response = client.post(reverse("portal:magic-link", kwargs={"token": first}))

    assert response.status_code == 410


# --- password login ---------------------------------------------------------------------


def test_it_logs_in_with_a_password(client, portal_user):
    response = client.post(
        reverse("portal:password-login"), {"email": "ann@acme.example", "password": "pw-Secret-123"}
    )

    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == portal_user.pk


def test_it_refuses_a_wrong_password_with_a_message(client, portal_user):
    response = client.post(
        reverse("portal:password-login"), {"email": "ann@acme.example", "password": "wrong"}
    )

    assert response.status_code == 200
    assert b"not right" in response.content
    assert "_auth_user_id" not in client.session


def test_it_ignores_an_offsite_next_url(client, portal_user):
    response = client.post(
        reverse("portal:password-login"),
        {"email": "ann@acme.example", "password": "pw-Secret-123", "next": "https://evil.example/"},
    )

    assert response.url == reverse("portal:home")


def test_staff_cannot_use_the_portal_password_login(client, db):
    StaffFactory(email="staff@renewdesk.example")

    response = client.post(
        reverse("portal:password-login"),
        {"email": "staff@renewdesk.example", "password": "pw-Secret-123"},
    )

    assert "_auth_user_id" not in client.session
    assert response.status_code == 200


# --- logout, access, language -------------------------------------------------------------


def test_logout_needs_a_post(customer_client):
    assert customer_client.get(reverse("portal:logout")).status_code == 405
    response = customer_client.post(reverse("portal:logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in customer_client.session


def test_an_anonymous_visitor_is_sent_to_the_portal_login(client, db):
    response = client.get(reverse("portal:home"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("portal:login"))


def test_staff_without_a_portal_account_get_a_friendly_page(client, db):
    client.force_login(StaffFactory())

    response = client.get(reverse("portal:home"))

    assert response.status_code == 403
    assert b"This portal is for customers" in response.content


def test_after_login_the_interface_follows_the_customers_language(client, portal_user):
    portal_user.language = "zh-hans"
    portal_user.save()
    client.cookies["django_language"] = "en"  # chosen on the login page
    token = magic_link_make(user=portal_user)

    response = client.post(reverse("portal:magic-link", kwargs={"token": token}))
    page = client.get(reverse("portal:home"))

    assert response.cookies["django_language"].value == ""
    assert '<html lang="zh-hans">' in page.content.decode()


def test_the_login_email_is_in_the_users_language(client, portal_user, request_link):
    portal_user.language = "zh-hans"
    portal_user.save()

    request_link()

    assert mail.outbox[0].subject == "您的 RenewDesk 登录链接"
    assert "分钟后失效" in mail.outbox[0].body
