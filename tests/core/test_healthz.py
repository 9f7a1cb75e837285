"""/healthz: the readiness probe of web containers and load balancers."""

from __future__ import annotations

import socket
from unittest import mock

import pytest
from django.db import OperationalError
from django.test import override_settings
from django.urls import reverse


def _closed_port() -> int:
    # Bind then release: nothing listens on the port afterwards, so connecting is refused.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.django_db
def test_it_answers_200_when_the_database_and_the_real_redis_broker_answer(client, settings):
    assert settings.CELERY_BROKER_URL.startswith("redis://")

    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "broker": "ok",
        "broker_url_scheme": "redis",
    }
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_it_answers_503_when_the_broker_is_unreachable(client):
    with override_settings(CELERY_BROKER_URL=f"redis://127.0.0.1:{_closed_port()}/0"):
        response = client.get(reverse("healthz"))

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["database"] == "ok"
    assert body["broker"] == "OperationalError"


@pytest.mark.django_db
def test_it_answers_503_when_the_database_is_unreachable(client):
    with mock.patch(
        "core.views.connection.cursor", side_effect=OperationalError("connection refused")
    ):
        response = client.get(reverse("healthz"))

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["database"] == "OperationalError"
    assert body["broker"] == "ok"


@pytest.mark.django_db
def test_it_never_shows_the_broker_credentials(client):
    url = f"redis://:s3cret-password@127.0.0.1:{_closed_port()}/0"
    with override_settings(CELERY_BROKER_URL=url):
        response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert "s3cret" not in response.content.decode()


@pytest.mark.django_db
def test_it_answers_head_requests_for_load_balancers(client):
    response = client.head(reverse("healthz"))

    assert response.status_code == 200


@pytest.mark.django_db
def test_it_refuses_post(client):
    response = client.post(reverse("healthz"))

    assert response.status_code == 405


def test_favicon_ico_points_at_the_site_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("img/favicon.svg")
