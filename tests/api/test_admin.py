from __future__ import annotations

import re

import pytest
from rest_framework.test import APIClient

from api.models import ApiToken, WebhookDelivery, WebhookEndpoint
from api.services import api_token_create, token_digest
from api.webhooks import webhook_event_emit
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    return client


def test_an_admin_creates_a_token_and_sees_it_once(admin_client, manager):
    response = admin_client.post(
        "/admin/api/apitoken/add/",
        {"name": "ERP sync", "user": manager.pk, "scope": "read"},
        follow=True,
    )

    assert response.status_code == 200
    raw = re.search(r"<code>(rd_[^<]+)</code>", response.content.decode()).group(1)
    token = ApiToken.objects.get()
    assert (token.name, token.user, token.scope) == ("ERP sync", manager, "read")
    assert token.digest == token_digest(raw)
    assert token.created_by.username == "root"
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/v1/customers/").status_code == 200
    # The change page never shows the secret again.
    page = admin_client.get(f"/admin/api/apitoken/{token.pk}/change/").content.decode()
    assert raw not in page


def test_the_admin_refuses_a_token_for_a_non_staff_user(admin_client):
    portal_user = UserFactory()

    response = admin_client.post(
        "/admin/api/apitoken/add/", {"name": "x", "user": portal_user.pk, "scope": "write"}
    )

    assert response.status_code == 200  # the form again, with an error
    assert not ApiToken.objects.exists()


def test_the_revoke_action_revokes(admin_client, manager):
    token, raw = api_token_create(user=manager, name="old", scope="write")

    admin_client.post(
        "/admin/api/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
    )

    token.refresh_from_db()
    assert token.revoked_at is not None
    assert token.revoked_by.username == "root"
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/v1/customers/").status_code == 401


def test_an_admin_registers_an_endpoint_and_gets_a_signing_secret(admin_client):
    response = admin_client.post(
        "/admin/api/webhookendpoint/add/",
        {
            "url": "https://erp.example.com/hooks",
            "description": "ERP",
            "events": ["contract.renewed", "invoice.paid"],
            "is_active": "on",
            "secret": "",
        },
    )

    assert response.status_code == 302
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.events == ["contract.renewed", "invoice.paid"]
    assert endpoint.secret.startswith("whsec_")


def test_the_resend_action_queues_the_same_event_again(admin_client, monkeypatch):
    monkeypatch.setattr("api.webhooks._enqueue", lambda ids: None)
    WebhookEndpoint.objects.create(url="https://erp.example.com/", events=["*"], secret="s")
    (delivery,) = webhook_event_emit(event_type="invoice.paid", data={"x": 1})

    admin_client.post(
        "/admin/api/webhookdelivery/",
        {"action": "resend", "_selected_action": [delivery.pk]},
    )

    again = WebhookDelivery.objects.exclude(pk=delivery.pk).get()
    assert (again.event_id, again.body, again.resent_from) == (
        delivery.event_id,
        delivery.body,
        delivery,
    )


def test_the_delivery_log_page_shows_attempts(admin_client):
    WebhookEndpoint.objects.create(url="http://127.0.0.1:1/", events=["*"], secret="s")
    (delivery,) = webhook_event_emit(event_type="invoice.paid", data={})
    from api.webhooks import webhook_delivery_attempt

    webhook_delivery_attempt(delivery_id=delivery.pk)

    page = admin_client.get(f"/admin/api/webhookdelivery/{delivery.pk}/change/")
    assert page.status_code == 200
    assert "Connection refused" in page.content.decode() or "URLError" in page.content.decode()
    assert admin_client.get("/admin/api/webhookdelivery/").status_code == 200
