"""The list count: live up to LIVE_COUNT_LIMIT rows, above it counted once per TTL per
query (same scope and filters), never shared between two users' scopes."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api import pagination
from tests.factories import ContractFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def _full_counts(ctx: CaptureQueriesContext) -> int:
    return sum(
        1
        for q in ctx.captured_queries
        if q["sql"].startswith("SELECT COUNT(*)") and "LIMIT" not in q["sql"]
    )


def test_small_lists_are_counted_live(client_for, manager):
    customer = CustomerFactory(account_manager=manager)
    ContractFactory(customer=customer)
    assert client_for.get("/api/v1/contracts/").json()["count"] == 1
    ContractFactory(customer=customer)
    assert client_for.get("/api/v1/contracts/").json()["count"] == 2


def test_large_lists_count_once_per_ttl_and_per_scope(
    client_for, make_client, manager, other_manager, monkeypatch
):
    monkeypatch.setattr(pagination, "LIVE_COUNT_LIMIT", 3)
    mine = CustomerFactory(account_manager=manager)
    theirs = CustomerFactory(account_manager=other_manager)
    for _ in range(5):
        ContractFactory(customer=mine)
    for _ in range(7):
        ContractFactory(customer=theirs)

    with CaptureQueriesContext(connection) as first:
        body = client_for.get("/api/v1/contracts/", {"page_size": 2}).json()
    assert body["count"] == 5 and len(body["results"]) == 2
    assert _full_counts(first) == 1
    with CaptureQueriesContext(connection) as second:
        body = client_for.get("/api/v1/contracts/", {"page_size": 2, "page": 2}).json()
    assert body["count"] == 5
    assert _full_counts(second) == 0  # from the cache

    # Another manager's token: another query, its own count.
    assert make_client(other_manager).get("/api/v1/contracts/").json()["count"] == 7
    # Another filter: its own count too.
    assert client_for.get("/api/v1/contracts/", {"status": "draft"}).json()["count"] == 0
