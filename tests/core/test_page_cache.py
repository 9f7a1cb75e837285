"""core.page_cache on the staff lists, against the real Redis: a reload is a cache hit,
the user's own POST makes the next page fresh, and nothing leaks between users,
sessions or languages."""

from __future__ import annotations

import pytest

from tests.conftest import UNREACHABLE_CACHE
from tests.factories import ContractFactory, CustomerFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def page_cache(shared_cache, settings):
    settings.RENEWDESK = {**settings.RENEWDESK, "STAFF_PAGE_CACHE_SECONDS": 30}


def _login(client, user):
    client.force_login(user)
    client.cookies["csrftoken"] = "c" * 32
    return client


def test_reload_is_a_hit_and_own_post_makes_it_fresh(client, manager, page_cache):
    customer = CustomerFactory(account_manager=manager, name="Before GmbH")
    ContractFactory(customer=customer)
    _login(client, manager)

    first = client.get("/staff/contracts/")
    assert first.status_code == 200 and "X-Page-Cache" not in first
    assert "private" in first["Cache-Control"] and "Cookie" in first["Vary"]
    assert "Before GmbH" in first.content.decode()

    # A colleague (or the nightly job) renames the customer: the cached page is served.
    customer.name = "After GmbH"
    customer.save()
    second = client.get("/staff/contracts/")
    assert second["X-Page-Cache"] == "hit"
    assert "private" in second["Cache-Control"] and "Cookie" in second["Vary"]
    assert second["Content-Security-Policy"] == first["Content-Security-Policy"]
    assert second["X-Frame-Options"] == "DENY" and second["Content-Language"] == "en"
    assert "Before GmbH" in second.content.decode()

    # Any POST of this user, even one that fails, and the next page is rendered again.
    assert client.post("/staff/tasks/999999/done/").status_code == 404
    third = client.get("/staff/contracts/")
    assert "X-Page-Cache" not in third
    assert "After GmbH" in third.content.decode()


def test_no_sharing_between_users_sessions_queries_or_languages(client, manager, page_cache):
    other = StaffFactory(username="bob")
    ContractFactory(customer=CustomerFactory(account_manager=manager, name="Alice Co"))
    ContractFactory(customer=CustomerFactory(account_manager=other, name="Bob Co"))
    _login(client, manager).get("/staff/contracts/")

    from django.test import Client

    bob = _login(Client(), other)
    page = bob.get("/staff/contracts/")
    assert "X-Page-Cache" not in page and "Bob Co" in page.content.decode()
    assert "Alice Co" not in page.content.decode()

    # Same user, another browser session: its own entry.
    again = _login(Client(), manager).get("/staff/contracts/")
    assert "X-Page-Cache" not in again
    # Another query string, another language: their own entries.
    assert "X-Page-Cache" not in client.get("/staff/contracts/?status=active")
    # A language change is a POST of the user: the next page is rendered in it.
    manager.language = "zh-hans"
    manager.save()
    client.post("/staff/tasks/999999/done/")
    chinese = client.get("/staff/contracts/")
    assert "X-Page-Cache" not in chinese
    assert "合同" in chinese.content.decode()


def test_pages_with_a_message_or_without_csrf_cookie_are_not_cached(client, manager, page_cache):
    ContractFactory(customer=CustomerFactory(account_manager=manager))
    client.force_login(manager)  # no CSRF cookie yet
    client.get("/staff/contracts/")
    assert "X-Page-Cache" not in client.get("/staff/contracts/")

    _login(client, manager)
    # A bad cursor puts a message on the page: that page is not kept.
    client.get("/staff/contracts/?after=garbage")
    assert "X-Page-Cache" not in client.get("/staff/contracts/?after=garbage")


def test_a_hit_needs_neither_session_nor_user(client, manager, page_cache):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ContractFactory(customer=CustomerFactory(account_manager=manager))
    _login(client, manager)
    client.get("/staff/customers/")
    with CaptureQueriesContext(connection) as queries:
        hit = client.get("/staff/customers/")
    assert hit["X-Page-Cache"] == "hit"
    assert len(queries) == 0


def test_another_users_cookie_jar_gets_nothing(client, manager, page_cache):
    from django.test import Client

    ContractFactory(customer=CustomerFactory(account_manager=manager, name="Secret AG"))
    _login(client, manager)
    client.get("/staff/contracts/")
    stranger = Client()
    stranger.cookies["csrftoken"] = client.cookies["csrftoken"].value
    stranger.cookies["sessionid"] = "not-" + client.cookies["sessionid"].value[4:]
    response = stranger.get("/staff/contracts/")
    assert response.status_code == 302 and "X-Page-Cache" not in response


def test_off_without_a_shared_cache(client, manager, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.RENEWDESK = {**settings.RENEWDESK, "STAFF_PAGE_CACHE_SECONDS": 30}
    ContractFactory(customer=CustomerFactory(account_manager=manager))
    _login(client, manager)
    client.get("/staff/customers/")
    assert "X-Page-Cache" not in client.get("/staff/customers/")


def test_a_cache_outage_renders_the_page(client, manager, settings):
    ContractFactory(customer=CustomerFactory(account_manager=manager, name="Still There"))
    _login(client, manager)
    settings.RENEWDESK = {**settings.RENEWDESK, "STAFF_PAGE_CACHE_SECONDS": 30}
    settings.CACHES = UNREACHABLE_CACHE  # nothing listens there
    response = client.get("/staff/contracts/")
    assert response.status_code == 200 and "Still There" in response.content.decode()
    assert client.post("/staff/tasks/999999/done/").status_code == 404
