"""Which events anyone subscribed to (api.webhooks.webhook_subscribed): read once per
status change at most, kept per process under a token in the shared cache, and never
stale for an endpoint committed before the event."""

from __future__ import annotations

import os

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from api import webhooks
from api.models import WebhookDelivery, WebhookEndpoint
from api.webhooks import webhook_endpoint_save, webhook_subscribed
from contracts import services
from contracts.models import ContractStatus
from tests.factories import ContractFactory

pytestmark = pytest.mark.django_db

ENDPOINTS_TABLE = '"api_webhookendpoint"'


@pytest.fixture(autouse=True)
def _no_kept_subscriptions():
    webhooks._subscriptions = None
    yield
    webhooks._subscriptions = None


@pytest.fixture
def shared_cache(settings):
    """The real Redis, as in production (each xdist worker under its own prefix)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.REDIS_TEST_URL,
            "KEY_PREFIX": f"webhook-subscriptions-test-{worker}",
        }
    }
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def queued(monkeypatch):
    ids: list[int] = []
    monkeypatch.setattr("api.webhooks._enqueue", lambda new: ids.extend(new))
    return ids


def _endpoint(events: list[str], **kwargs) -> WebhookEndpoint:
    return webhook_endpoint_save(
        endpoint=WebhookEndpoint(url="http://127.0.0.1:1/", events=events, **kwargs)
    )


def _kept() -> tuple:
    """The set this process keeps (the first read after an emptied cache is not kept)."""
    webhook_subscribed("contract.status_changed")
    kept = webhooks._subscriptions
    assert kept is not None
    return kept


def _expire_one(manager, capture) -> list[str]:
    """Expire a fresh contract; the SQL of the change and its after-commit receivers."""
    contract = ContractFactory(customer__account_manager=manager, status=ContractStatus.ACTIVE)
    with CaptureQueriesContext(connection) as queries, capture(execute=True):
        services.contract_expire(contract=contract, by=manager)
    return [q["sql"] for q in queries.captured_queries]


def _endpoint_reads(sqls: list[str]) -> int:
    return sum(1 for sql in sqls if f"FROM {ENDPOINTS_TABLE}" in sql)


def test_a_status_change_costs_as_many_queries_with_five_endpoints_as_with_one(
    manager, queued, django_capture_on_commit_callbacks
):
    _endpoint(["*"])
    with_one = _expire_one(manager, django_capture_on_commit_callbacks)
    for _ in range(4):
        _endpoint(["contract.expired", "contract.status_changed"])
    with_five = _expire_one(manager, django_capture_on_commit_callbacks)

    assert len(with_five) == len(with_one)
    assert WebhookDelivery.objects.count() == 2 + 2 * 5  # generic + specific per endpoint
    # Without a shared cache: one read to decide, one per event to emit (all endpoints).
    assert _endpoint_reads(with_five) == 3


def test_with_a_shared_cache_status_changes_nobody_wants_read_no_endpoint(
    manager, shared_cache, queued, django_capture_on_commit_callbacks
):
    _endpoint(["invoice.paid"])
    first = _expire_one(manager, django_capture_on_commit_callbacks)
    second = _expire_one(manager, django_capture_on_commit_callbacks)
    third = _expire_one(manager, django_capture_on_commit_callbacks)

    assert _endpoint_reads(first) <= 1
    assert _endpoint_reads(second) == _endpoint_reads(third) == 0
    assert not WebhookDelivery.objects.exists()


def test_a_new_endpoint_gets_the_very_next_event_even_where_the_old_set_was_kept(
    manager, shared_cache, queued, django_capture_on_commit_callbacks
):
    assert not webhook_subscribed("contract.expired")
    kept_elsewhere = _kept()  # what another worker process still holds

    with django_capture_on_commit_callbacks(execute=True):
        endpoint = _endpoint(["contract.expired"])
    webhooks._subscriptions = kept_elsewhere
    _expire_one(manager, django_capture_on_commit_callbacks)

    assert list(WebhookDelivery.objects.values_list("endpoint", "event_type")) == [
        (endpoint.pk, "contract.expired")
    ]


@pytest.mark.parametrize("change", ["deactivate", "other events", "delete"])
def test_a_changed_or_deleted_endpoint_is_seen_at_once(
    change, shared_cache, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        endpoint = _endpoint(["contract.expired"])
    assert webhook_subscribed("contract.expired")
    kept_elsewhere = _kept()

    with django_capture_on_commit_callbacks(execute=True):
        if change == "deactivate":
            endpoint.is_active = False
            endpoint.save()
        elif change == "other events":
            endpoint.events = ["invoice.paid"]
            webhook_endpoint_save(endpoint=endpoint)
        else:
            endpoint.delete()
    webhooks._subscriptions = kept_elsewhere

    assert not webhook_subscribed("contract.expired")
    assert webhook_subscribed("invoice.paid") == (change == "other events")


def test_an_endpoint_saved_in_the_same_transaction_is_seen_before_the_commit(shared_cache):
    assert not webhook_subscribed("renewal.won")
    _kept()
    with transaction.atomic():
        _endpoint(["*"])
        assert webhook_subscribed("renewal.won")


def test_a_rolled_back_endpoint_gets_nothing(manager, shared_cache, queued):
    assert not webhook_subscribed("contract.expired")
    with pytest.raises(RuntimeError), transaction.atomic():
        _endpoint(["*"])
        raise RuntimeError("admin form failed")

    # At most a needless read; no delivery for an endpoint that does not exist.
    assert webhooks.webhook_event_emit(event_type="contract.expired", data={}) == []


@pytest.fixture
def unreachable_cache(settings):
    before = settings.CACHES
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    yield
    settings.CACHES = before  # before the api conftest clears the cache


def test_an_unreachable_cache_means_reading_the_table(unreachable_cache):
    assert not webhook_subscribed("contract.expired")
    _endpoint(["contract.expired"])  # announcing the change fails quietly

    assert webhook_subscribed("contract.expired")


def test_a_bulk_update_without_signals_is_seen_once_the_kept_set_expires(shared_cache, settings):
    endpoint = _endpoint(["contract.expired"])
    assert webhook_subscribed("contract.expired")

    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False)  # no post_save
    assert webhook_subscribed("contract.expired")  # kept for up to the expiry

    settings.API_WEBHOOK_SUBSCRIPTIONS_CACHE_SECONDS = 0
    assert not webhook_subscribed("contract.expired")


def test_a_wildcard_endpoint_subscribes_to_everything(shared_cache):
    _endpoint(["*"])
    assert all(webhook_subscribed(event) for event in webhooks.WEBHOOK_EVENTS)
    assert not webhook_subscribed()
