"""Webhooks are reactions to committed contract events (api.webhook_reactions, declared in
lifecycle.subscriptions): sent right after the commit, or by the reaction sweep when that
did not happen, once per event and endpoint."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine

from api.models import WebhookDelivery, WebhookEndpoint
from api.webhook_reactions import TIMELINE_EVENTS
from api.webhooks import webhook_endpoint_save
from contracts import services
from contracts.models import ContractEvent, ContractStatus
from lifecycle.reactions import events_sweep
from lifecycle.subscriptions import WEBHOOK_TIMELINE_KINDS
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


def _expire_without_reactions(manager):
    """A committed status change whose after-commit reactions never ran (process died)."""
    contract = ContractFactory(customer__account_manager=manager, status=ContractStatus.ACTIVE)
    with time_machine.travel(T0, tick=False):
        services.contract_expire(contract=contract, by=manager)  # on_commit never fires here
    return contract


def test_the_sweep_delivers_a_status_change_whose_reactions_never_ran(
    manager, queued, django_capture_on_commit_callbacks
):
    endpoint = _endpoint(["contract.expired"])
    contract = _expire_without_reactions(manager)
    assert not WebhookDelivery.objects.exists()

    with time_machine.travel(LATER, tick=False), django_capture_on_commit_callbacks(execute=True):
        report = events_sweep()

    delivery = WebhookDelivery.objects.get()
    assert (delivery.endpoint, delivery.event_type) == (endpoint, "contract.expired")
    body = json.loads(delivery.body)
    assert body["type"] == "contract.expired" and body["id"] == str(delivery.event_id)
    assert body["data"]["contract"]["number"] == contract.number
    assert (body["data"]["from_status"], body["data"]["to_status"]) == ("active", "expired")
    event = contract.events.get(kind="expired")
    assert body["data"]["contract_event_id"] == event.pk
    assert queued == [delivery.pk]
    assert report.failed == 0 and event.__class__.objects.get(pk=event.pk).reacted_at


def test_a_failed_webhook_reaction_is_retried_by_the_sweep(
    manager, queued, monkeypatch, django_capture_on_commit_callbacks
):
    _endpoint(["*"])
    monkeypatch.setattr("api.webhook_reactions._contract_data", lambda pk: 1 / 0)
    contract = ContractFactory(customer__account_manager=manager, status=ContractStatus.ACTIVE)
    with time_machine.travel(T0, tick=False), django_capture_on_commit_callbacks(execute=True):
        services.contract_terminate(contract=contract, by=manager, reason="fraud")
    event = contract.events.get(kind="terminated")
    assert not WebhookDelivery.objects.exists()
    assert event.reaction_attempts == 1 and "ZeroDivisionError" in event.reaction_error
    monkeypatch.undo()

    with time_machine.travel(LATER, tick=False):
        events_sweep()

    types = sorted(WebhookDelivery.objects.values_list("event_type", flat=True))
    assert types == ["contract.status_changed", "contract.terminated"]


def test_sweeping_twice_creates_one_delivery_per_endpoint(manager, queued):
    _endpoint(["contract.expired"])
    _endpoint(["contract.status_changed", "contract.expired"])
    _expire_without_reactions(manager)

    with time_machine.travel(LATER, tick=False):
        first = events_sweep()
        second = events_sweep()

    assert WebhookDelivery.objects.filter(event_type="contract.expired").count() == 2
    assert WebhookDelivery.objects.filter(event_type="contract.status_changed").count() == 1
    assert (first.reacted, second.reacted) == (1, 0)


def test_after_the_immediate_reactions_the_sweep_adds_nothing(
    manager, queued, django_capture_on_commit_callbacks
):
    _endpoint(["contract.expired"])
    contract = ContractFactory(customer__account_manager=manager, status=ContractStatus.ACTIVE)
    with time_machine.travel(T0, tick=False), django_capture_on_commit_callbacks(execute=True):
        services.contract_expire(contract=contract, by=manager)
    assert WebhookDelivery.objects.count() == 1

    with time_machine.travel(LATER, tick=False):
        assert events_sweep().reacted == 0

    assert WebhookDelivery.objects.count() == 1


def test_the_immediate_reactions_arriving_after_the_sweep_add_nothing(
    manager, queued, django_capture_on_commit_callbacks
):
    _endpoint(["contract.expired"])
    contract = ContractFactory(customer__account_manager=manager, status=ContractStatus.ACTIVE)
    with time_machine.travel(T0, tick=False), django_capture_on_commit_callbacks() as callbacks:
        services.contract_expire(contract=contract, by=manager)
    with time_machine.travel(LATER, tick=False):
        events_sweep()
        for callback in callbacks:  # the slow after-commit delivery comes last
            callback()

    assert WebhookDelivery.objects.count() == 1


def test_a_timeline_event_is_swept(manager, queued):
    from renewals import services as renewal_services

    _endpoint(["renewal.lost"])
    contract = ContractFactory(customer__account_manager=manager, status=ContractStatus.ACTIVE)
    case, _created = renewal_services.case_open(contract=contract)
    with time_machine.travel(T0, tick=False):
        renewal_services.case_lose(case=case, reason="price", by=manager)

    with time_machine.travel(LATER, tick=False):
        events_sweep()

    delivery = WebhookDelivery.objects.get()
    assert delivery.event_type == "renewal.lost"
    assert '"loss_reason": "price"' in delivery.body


def test_an_endpoint_added_after_the_event_does_not_get_it(manager, queued):
    _expire_without_reactions(manager)
    with time_machine.travel(T0 + dt.timedelta(minutes=1), tick=False):
        webhook_endpoint_save(endpoint=WebhookEndpoint(url="http://127.0.0.1:1/", events=["*"]))

    with time_machine.travel(LATER, tick=False):
        assert events_sweep().reacted == 1  # reacted, with nobody to send it to

    assert not WebhookDelivery.objects.exists()


def test_contract_events_written_directly_are_swept(manager, queued):
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
        events_sweep()

    assert WebhookDelivery.objects.get().event_type == "contract.activated"


def test_the_subscription_table_lists_the_timeline_kinds_the_api_reports():
    assert frozenset(TIMELINE_EVENTS) == WEBHOOK_TIMELINE_KINDS
