from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from contracts import services
from contracts.models import ContractStatus
from tests.factories import ContractFactory, CustomerFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/events/"


def _page(client, url=URL, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.json()
    return response.json()


def test_it_syncs_incrementally_with_a_cursor(client_for, manager):
    contract = ContractFactory(
        customer=CustomerFactory(account_manager=manager), status=ContractStatus.ACTIVE
    )
    for i in range(3):
        services.event_record(contract=contract, kind=f"note{i}", by=manager)

    # given: a first sync, in pages of two, until a short page
    first = _page(client_for, page_size=2)
    assert [e["kind"] for e in first["results"]] == ["note0", "note1"]
    second = _page(client_for, first["next"])
    assert [e["kind"] for e in second["results"]] == ["note2"]
    resume = second["next"]
    assert resume is not None  # the last page still says where to resume
    assert _page(client_for, resume)["results"] == []
    assert _page(client_for, resume)["next"] == resume  # an empty page keeps the place

    # when: more happens after the sync
    services.contract_expire(contract=contract, by=manager)

    # then: resuming returns only what is new
    fresh = _page(client_for, resume)["results"]
    assert [(e["kind"], e["from_status"], e["to_status"]) for e in fresh] == [
        ("expired", "active", "expired")
    ]


def test_following_next_after_new_events_returns_them(client_for, manager):
    contract = ContractFactory(customer=CustomerFactory(account_manager=manager))
    services.event_record(contract=contract, kind="one", by=manager)
    page = _page(client_for, page_size=1)
    assert [e["kind"] for e in page["results"]] == ["one"]

    services.event_record(contract=contract, kind="two", by=manager)

    follow = _page(client_for, page["next"])
    assert [e["kind"] for e in follow["results"]] == ["two"]


def test_a_manager_sees_only_events_of_their_contracts(client_for, manager, other_manager):
    mine = ContractFactory(customer=CustomerFactory(account_manager=manager))
    theirs = ContractFactory(customer=CustomerFactory(account_manager=other_manager))
    services.event_record(contract=mine, kind="mine")
    services.event_record(contract=theirs, kind="theirs")

    assert [e["kind"] for e in _page(client_for)["results"]] == ["mine"]


def test_it_filters_events_by_contract_kind_and_time(client_for, manager):
    a = ContractFactory(customer=CustomerFactory(account_manager=manager))
    b = ContractFactory(customer=a.customer)
    with time_machine.travel(dt.datetime(2026, 1, 1, tzinfo=dt.UTC), tick=False):
        services.event_record(contract=a, kind="old")
    services.event_record(contract=b, kind="new")

    assert [e["kind"] for e in _page(client_for, contract=b.pk)["results"]] == ["new"]
    assert [e["kind"] for e in _page(client_for, kind="old")["results"]] == ["old"]
    assert [e["kind"] for e in _page(client_for, since="2026-06-01T00:00:00Z")["results"]] == [
        "new"
    ]


def test_it_holds_back_events_younger_than_the_settle_window(client_for, manager, settings):
    settings.API_EVENT_FEED_SETTLE_SECONDS = 5
    contract = ContractFactory(customer=CustomerFactory(account_manager=manager))
    services.event_record(contract=contract, kind="just_now")

    assert _page(client_for)["results"] == []
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=6)):
        assert [e["kind"] for e in _page(client_for)["results"]] == ["just_now"]


def test_a_forged_cursor_is_a_404_not_a_crash(client_for):
    import base64

    forged = base64.b64encode(b"p=abc").decode()

    response = client_for.get(URL, {"cursor": forged})

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
