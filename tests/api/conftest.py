from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from api.services import api_token_create
from tests.factories import StaffFactory


@pytest.fixture(autouse=True)
def _api_settings(settings):
    # The events feed holds back very recent events; tests look at them at once.
    settings.API_EVENT_FEED_SETTLE_SECONDS = 0
    cache.clear()  # throttling counters live in the cache
    yield
    cache.clear()


@pytest.fixture
def other_manager(db):
    return StaffFactory(username="bob")


@pytest.fixture
def make_client(db) -> Callable[..., APIClient]:
    """An API client authenticated with a fresh token for ``user`` and ``scope``."""

    def make(user: Any, scope: str = "write") -> APIClient:
        _token, raw = api_token_create(user=user, name=f"{user.username} {scope}", scope=scope)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        client.raw_token = raw  # type: ignore[attr-defined]
        return client

    return make


@pytest.fixture
def client_for(make_client, manager) -> APIClient:
    """Alice (an account manager) with a write token."""
    return make_client(manager, "write")
