from __future__ import annotations

import hashlib

import pytest
from rest_framework.test import APIClient

from api.models import ApiToken
from api.services import api_token_create, api_token_revoke
from core.errors import DomainError
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers/"


def _error(response):
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    return body["error"]


def test_it_answers_401_with_the_error_body_without_credentials():
    response = APIClient().get(URL)

    assert response.status_code == 401
    assert _error(response)["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Bearer"


def test_it_refuses_an_unknown_token():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer rd_not-a-real-token")

    response = client.get(URL)

    assert response.status_code == 401
    assert _error(response)["code"] == "authentication_failed"


def test_it_stores_only_the_sha256_of_the_token(manager):
    token, raw = api_token_create(user=manager, name="ERP", scope="read")

    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.digest == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in {stored.digest, stored.prefix, stored.name}
    assert raw.startswith(stored.prefix)


def test_a_revoked_token_stops_working(make_client, manager):
    client = make_client(manager, "read")
    assert client.get(URL).status_code == 200

    api_token_revoke(token=ApiToken.objects.get(user=manager), by=manager)

    response = client.get(URL)
    assert response.status_code == 401
    assert _error(response)["code"] == "authentication_failed"


def test_a_token_stops_working_when_its_user_is_deactivated(make_client, manager):
    client = make_client(manager, "read")
    manager.is_active = False
    manager.save()

    assert client.get(URL).status_code == 401


def test_it_refuses_to_create_a_token_for_a_non_staff_user():
    with pytest.raises(DomainError):
        api_token_create(user=UserFactory(), name="portal", scope="read")


def test_a_read_only_token_can_read_but_not_write(make_client, manager):
    client = make_client(manager, "read")

    assert client.get(URL).status_code == 200
    response = client.post(URL, {"code": "X1", "name": "X"}, format="json")

    assert response.status_code == 403
    assert _error(response)["code"] == "insufficient_scope"
    assert not manager.customers.exists()


def test_a_write_token_can_write(make_client, manager):
    client = make_client(manager, "write")

    response = client.post(URL, {"code": "X1", "name": "X"}, format="json")

    assert response.status_code == 201, response.json()


def test_a_session_login_works_for_staff(manager):
    CustomerFactory(account_manager=manager, code="MINE")
    client = APIClient()
    client.force_login(manager)

    response = client.get(URL)

    assert response.status_code == 200
    assert [c["code"] for c in response.json()["results"]] == ["MINE"]


def test_a_portal_user_session_gets_403():
    client = APIClient()
    client.force_login(UserFactory())

    response = client.get(URL)

    assert response.status_code == 403
    assert _error(response)["code"] == "permission_denied"


def test_it_records_when_a_token_was_last_used(make_client, manager):
    client = make_client(manager, "read")
    assert ApiToken.objects.get(user=manager).last_used_at is None

    client.get(URL)

    assert ApiToken.objects.get(user=manager).last_used_at is not None


def test_error_messages_follow_the_requested_language(make_client, manager):
    client = make_client(manager, "read")

    response = client.post(URL, {}, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_scope"
    assert response.json()["error"]["message"] == "此令牌为只读；该请求需要具有写权限的令牌。"


def test_a_read_only_token_cannot_patch(make_client, manager):
    customer = CustomerFactory(account_manager=manager, name="Before")

    response = make_client(manager, "read").patch(
        f"{URL}{customer.pk}/", {"name": "After"}, format="json"
    )

    assert response.status_code == 403
    customer.refresh_from_db()
    assert customer.name == "Before"
