"""The staff dashboard's figures come from the cache within DASHBOARD_CACHE_SECONDS, keyed
by the book they describe (a manager never sees the team's figures) and the language."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import ContractFactory, CustomerFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _cached_dashboard(settings):
    settings.RENEWDESK = {**settings.RENEWDESK, "DASHBOARD_CACHE_SECONDS": 300}
    cache.clear()
    with time_machine.travel(dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC), tick=False):
        yield
    cache.clear()


def _active_in_book(response) -> int:
    return response.context["windows"][-1]["count"]


def _queries(client) -> tuple[object, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("staff-home"))
    assert response.status_code == 200
    return response, len(ctx.captured_queries)


def test_it_serves_the_second_request_from_the_cache(client, manager):
    ContractFactory(customer=CustomerFactory(account_manager=manager))
    client.force_login(manager)
    first, live = _queries(client)
    second, cached = _queries(client)
    assert cached < live
    assert _active_in_book(second) == _active_in_book(first) == 1


def test_it_keeps_each_managers_figures_apart(client, manager, team_lead):
    ContractFactory(customer=CustomerFactory(account_manager=manager))
    other = StaffFactory(username="bob")
    for _ in range(2):
        ContractFactory(customer=CustomerFactory(account_manager=other))
    client.force_login(team_lead)
    assert _active_in_book(client.get(reverse("staff-home"))) == 3
    client.force_login(manager)
    assert _active_in_book(client.get(reverse("staff-home"))) == 1
    client.force_login(other)
    assert _active_in_book(client.get(reverse("staff-home"))) == 2


def test_it_caches_each_filter_on_its_own(client, manager, team_lead):
    ContractFactory(customer=CustomerFactory(account_manager=manager))
    ContractFactory(customer=CustomerFactory(account_manager=StaffFactory(username="bob")))
    client.force_login(team_lead)
    assert _active_in_book(client.get(reverse("staff-home"))) == 2
    response = client.get(reverse("staff-home"), {"manager": manager.pk})
    assert _active_in_book(response) == 1


def test_it_recomputes_when_the_setting_is_zero(client, manager, settings):
    settings.RENEWDESK = {**settings.RENEWDESK, "DASHBOARD_CACHE_SECONDS": 0}
    ContractFactory(customer=CustomerFactory(account_manager=manager))
    client.force_login(manager)
    _first, live = _queries(client)
    _second, again = _queries(client)
    assert again == live


def test_beat_keeps_the_whole_books_dashboard_warm(client, team_lead, manager):
    from insights.dashboard import dashboard_warm
    from insights.tasks import dashboard_warm_task
    from notifications.schedule import BEAT_ENTRIES

    assert dashboard_warm_task.name in {entry.task for entry in BEAT_ENTRIES}
    ContractFactory(customer=CustomerFactory(account_manager=manager))
    client.force_login(team_lead)
    _cold, live = _queries(client)
    cache.clear()

    assert dashboard_warm() == ["zh-hans", "en"]
    warm, warmed = _queries(client)
    assert warmed < live
    assert _active_in_book(warm) == 1
    # A new contract appears at the next refresh, not before.
    ContractFactory(customer=CustomerFactory(account_manager=manager))
    assert _active_in_book(client.get(reverse("staff-home"))) == 1
    dashboard_warm()
    assert _active_in_book(client.get(reverse("staff-home"))) == 2


def test_warming_needs_a_team_lead_and_the_cache(settings, manager):
    from insights.dashboard import dashboard_warm

    assert dashboard_warm() == []  # only account managers: nothing to warm
    settings.RENEWDESK = {**settings.RENEWDESK, "DASHBOARD_CACHE_SECONDS": 0}
    assert dashboard_warm() == []
