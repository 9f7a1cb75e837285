"""The catch-up sweep: webhooks of committed contract events are never lost."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from api.catchup import CONTRACT_EVENT, webhook_emission_claim, webhooks_catch_up
from api.models import WebhookDelivery, WebhookEmission, WebhookEndpoint
from api.tasks import catch_up_webhooks_task
from api.webhooks import webhook_endpoint_save
from contracts import services
from contracts.models import ContractEvent, ContractStatus
from tests.factories import ContractFactory

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2027, 3, 1, 2, 0, tzinfo=dt.UTC)
LATER = T0 + dt.timedelta(minutes=5)


@pytest.fixture
def queued(monkeypatch):
    ids: list[int] = []
    monkeypatch.setattr("api.webhooks._enqueue", lambda new: ids.extend(new))
    return ids


def _endpoint(events: list[str], url: str = "http://127.0.0.1:1/") -> WebhookEndpoint:
    with time_machine.travel(T0 - dt.timedelta(days=1), tick=False):
        return webhook_endpoint_save(endpoint=WebhookEndpoint(url=url, events=events))


def _expire_without_receiver(manager, **contract_kwargs):
    """A committed status change whose after-commit callbacks never ran (process died)."""
    contract = ContractFactory(
        customer__account_manager=manager, status=ContractStatus.ACTIVE, **contract_kwargs
    )
    with time_machine.travel(T0, tick=False):
        services.contract_expire(contract=contract, by=manager)  # on_commit never fires in a test
    return contract


def test_it_delivers_a_status_change_whose_receiver_never_ran(
    manager, queued, django_capture_on_commit_callbacks
):
    endpoint = _endpoint(["contract.expired"])
    contract = _expire_without_receiver(manager)
    assert not WebhookDelivery.objects.exists()

    with time_machine.travel(LATER, tick=False), django_capture_on_commit_callbacks(execute=True):
        result = catch_up_webhooks_task()

    delivery = WebhookDelivery.objects.get()
    assert (delivery.endpoint, delivery.event_type) == (endpoint, "contract.expired")
    body = json.loads(delivery.body)
    assert body["type"] == "contract.expired"
    assert body["id"] == str(delivery.event_id)
    assert body["data"]["contract"]["number"] == contract.number
    assert (body["data"]["from_status"], body["data"]["to_status"]) == ("active", "expired")
    assert body["data"]["contract_event_id"] == contract.events.get(kind="expired").pk
    assert queued == [delivery.pk]
    assert result == {"events": 1, "queued": 1, "purged": 0}


def test_it_delivers_when_the_receiver_failed(
    manager, queued, monkeypatch, django_capture_on_commit_callbacks
):
    _endpoint(["*"])
    monkeypatch.setattr("api.receivers._contract_data", lambda pk: 1 / 0)
    contract = ContractFactory(customer__account_manager=manager, status=ContractStatus.ACTIVE)
    with time_machine.travel(T0, tick=False), django_capture_on_commit_callbacks(execute=True):
        services.contract_terminate(contract=contract, by=manager, reason="fraud")
    assert not WebhookDelivery.objects.exists()
    monkeypatch.undo()

    with time_machine.travel(LATER, tick=False):
        webhooks_catch_up()

    types = sorted(WebhookDelivery.objects.values_list("event_type", flat=True))
    assert types == ["contract.status_changed", "contract.terminated"]


def test_running_it_twice_creates_one_delivery_per_endpoint(manager, queued):
    _endpoint(["contract.expired"])
    _endpoint(["contract.status_changed", "contract.expired"])
    _expire_without_receiver(manager)

    with time_machine.travel(LATER, tick=False):
        webhooks_catch_up()
        second = webhooks_catch_up()

    assert WebhookDelivery.objects.filter(event_type="contract.expired").count() == 2
    assert WebhookDelivery.objects.filter(event_type="contract.status_changed").count() == 1
    assert second["events"] == 0


def test_after_the_receiver_ran_the_sweep_adds_nothing(
    manager, queued, django_capture_on_commit_callbacks
):
    _endpoint(["contract.expired"])
    contract = ContractFactory(customer__account_manager=manager, status=ContractStatus.ACTIVE)
    with time_machine.travel(T0, tick=False), django_capture_on_commit_callbacks(execute=True):
        services.contract_expire(contract=contract, by=manager)
    assert WebhookDelivery.objects.count() == 1

    with time_machine.travel(LATER, tick=False):
        assert webhooks_catch_up()["events"] == 0

    assert WebhookDelivery.objects.count() == 1


def test_the_receiver_arriving_after_the_sweep_adds_nothing(
    manager, queued, django_capture_on_commit_callbacks
):
    _endpoint(["contract.expired"])
    contract = ContractFactory(customer__account_manager=manager, status=ContractStatus.ACTIVE)
    with time_machine.travel(T0, tick=False), django_capture_on_commit_callbacks() as callbacks:
        services.contract_expire(contract=contract, by=manager)
    with time_machine.travel(LATER, tick=False):
        webhooks_catch_up()
        for callback in callbacks:  # the slow receiver comes last
            callback()

    assert WebhookDelivery.objects.count() == 1


def test_a_timeline_event_is_caught_up(manager, queued):
    from renewals import services as renewal_services

    _endpoint(["renewal.lost"])
    contract = ContractFactory(customer__account_manager=manager, status=ContractStatus.ACTIVE)
    case, _created = renewal_services.case_open(contract=contract)
    with time_machine.travel(T0, tick=False):
        renewal_services.case_lose(case=case, reason="price", by=manager)

    with time_machine.travel(LATER, tick=False):
        webhooks_catch_up()

    delivery = WebhookDelivery.objects.get()
    assert delivery.event_type == "renewal.lost"
    assert '"loss_reason": "price"' in delivery.body


def test_events_older_than_the_window_are_ignored(manager, queued):
    _endpoint(["contract.expired"])
    _expire_without_receiver(manager)

    with time_machine.travel(T0 + dt.timedelta(hours=25), tick=False):
        assert webhooks_catch_up()["events"] == 0

    assert not WebhookDelivery.objects.exists()


def test_events_within_the_grace_period_are_left_to_their_receiver(manager, queued):
    _endpoint(["contract.expired"])
    _expire_without_receiver(manager)

    with time_machine.travel(T0 + dt.timedelta(seconds=30), tick=False):
        assert webhooks_catch_up()["events"] == 0

    assert not WebhookDelivery.objects.exists()


def test_unsubscribed_events_are_ignored(manager, queued):
    _endpoint(["invoice.paid"])
    _expire_without_receiver(manager)

    with time_machine.travel(LATER, tick=False), CaptureQueriesContext(connection) as queries:
        result = webhooks_catch_up()

    assert result["events"] == 0
    assert not WebhookDelivery.objects.exists()
    assert not WebhookEmission.objects.exists()
    assert not any("contracts_contractevent" in q["sql"] for q in queries.captured_queries)


def test_an_endpoint_added_after_the_event_does_not_get_it(manager, queued):
    _expire_without_receiver(manager)
    with time_machine.travel(T0 + dt.timedelta(minutes=1), tick=False):
        webhook_endpoint_save(endpoint=WebhookEndpoint(url="http://127.0.0.1:1/", events=["*"]))

    with time_machine.travel(LATER, tick=False):
        assert webhooks_catch_up()["events"] == 1  # claimed, with nobody to send it to
        assert webhooks_catch_up()["events"] == 0

    assert not WebhookDelivery.objects.exists()


def test_its_query_count_does_not_grow_with_the_number_of_events(manager, queued):
    _endpoint(["*"])
    _endpoint(["contract.expired"])

    def sweep_queries(n: int) -> int:
        for _ in range(n):
            _expire_without_receiver(manager)
        with time_machine.travel(LATER, tick=False), CaptureQueriesContext(connection) as q:
            assert webhooks_catch_up()["events"] == n
        return len(q.captured_queries)

    assert sweep_queries(1) == sweep_queries(5)
    assert WebhookDelivery.objects.count() == 6 * 3


def test_it_forgets_markers_of_events_past_the_window(manager, queued):
    _endpoint(["contract.expired"])
    _expire_without_receiver(manager)
    with time_machine.travel(LATER, tick=False):
        webhooks_catch_up()
    assert WebhookEmission.objects.count() == 1

    with time_machine.travel(T0 + dt.timedelta(days=3), tick=False):
        assert webhooks_catch_up()["purged"] == 1


def test_a_contract_event_is_claimed_once():
    with transaction.atomic():
        assert webhook_emission_claim(source=CONTRACT_EVENT, source_ids=[7, 8]) == {7, 8}
        assert webhook_emission_claim(source=CONTRACT_EVENT, source_ids=[8, 9]) == {9}


@pytest.mark.django_db(transaction=True)
def test_a_concurrent_claim_waits_for_the_first_and_then_does_nothing():
    """Receiver and sweep racing on PostgreSQL: the second insert blocks on the unique
    index until the first transaction commits, then inserts nothing."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locking")
    first_in = threading.Event()
    release = threading.Event()
    results: dict[str, set[int]] = {}

    def first() -> None:
        try:
            with transaction.atomic():
                results["first"] = webhook_emission_claim(source=CONTRACT_EVENT, source_ids=[42])
                first_in.set()
                release.wait(10)
        finally:
            connection.close()

    def second() -> None:
        try:
            first_in.wait(10)
            with transaction.atomic():
                results["second"] = webhook_emission_claim(source=CONTRACT_EVENT, source_ids=[42])
        finally:
            connection.close()

    a, b = threading.Thread(target=first), threading.Thread(target=second)
    a.start()
    b.start()
    b.join(0.5)
    assert b.is_alive()  # waiting on the first transaction's uncommitted marker
    release.set()
    a.join(10)
    b.join(10)

    assert results == {"first": {42}, "second": set()}
    assert WebhookEmission.objects.filter(source=CONTRACT_EVENT, source_id=42).count() == 1


def test_contract_events_written_directly_are_caught_up(manager, queued):
    _endpoint(["contract.activated"])
    contract = ContractFactory(customer__account_manager=manager, status=ContractStatus.ACTIVE)
    ContractEvent.objects.create(
        contract=contract,
        kind="activated",
        from_status="awaiting_payment",
        to_status="active",
        at=T0,
    )

    with time_machine.travel(LATER, tick=False):
        webhooks_catch_up()

    assert WebhookDelivery.objects.get().event_type == "contract.activated"
