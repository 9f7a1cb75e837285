"""retention.request_states: the request's table, the one change with its two timeline
rows, its refusals (translated, writing nothing), a refusal reaching the staff page as a
message, and two workers racing on one request (real PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.contrib.messages import get_messages
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone, translation

from contracts.models import Contract, ContractEvent
from core.errors import InvalidTransition
from retention.models import CancellationRequest, Kind, RequestEvent, Status
from retention.request_states import EVENT_KIND, REQUEST_STATES, request_status_change
from tests.factories import ContractFactory

S = Status
TABLE = REQUEST_STATES.transitions
ALLOWED = [(src, dst) for src in S.values for dst in sorted(TABLE[src])]
REFUSED = [(src, dst) for src in S.values for dst in S.values if dst not in TABLE[src]]
AT = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)


def _request(status: str = S.SUBMITTED, contract: Contract | None = None) -> CancellationRequest:
    contract = contract or ContractFactory()
    return CancellationRequest.objects.create(
        contract=contract,
        customer=contract.customer,
        kind=Kind.EARLY_TERMINATION,
        status=status,
        reason="price",
        submitted_at=AT,
        sla_due_at=AT + dt.timedelta(days=2),
    )


def _change(request: CancellationRequest, to: str, **kwargs) -> CancellationRequest:
    """As the services do: lock the contract, then the request, then change."""
    with transaction.atomic():
        contract = Contract.objects.select_for_update().get(pk=request.contract_id)
        locked = CancellationRequest.objects.select_for_update().get(pk=request.pk)
        locked.contract = contract
        return request_status_change(locked, to, **kwargs)


def test_the_table_is_the_documented_workflow():
    assert {k: set(v) for k, v in TABLE.items()} == {
        S.SUBMITTED: {S.IN_REVIEW, S.CONFIRMED, S.RETAINED, S.WITHDRAWN, S.REJECTED},
        S.IN_REVIEW: {S.CONFIRMED, S.RETAINED, S.WITHDRAWN, S.REJECTED},
        S.CONFIRMED: {S.COMPLETED, S.WITHDRAWN},
        S.COMPLETED: set(),
        S.WITHDRAWN: set(),
        S.RETAINED: set(),
        S.REJECTED: set(),
    }
    assert REQUEST_STATES.initial == {S.SUBMITTED}
    # Every status that can be reached has its timeline label.
    assert set(EVENT_KIND) == {dst for targets in TABLE.values() for dst in targets}


@pytest.mark.django_db
@pytest.mark.parametrize(("src", "dst"), ALLOWED)
def test_every_allowed_change_writes_the_status_and_both_timeline_rows(manager, src, dst):
    request = _request(src)
    when = timezone.now()

    changed = _change(
        request, dst, by=manager, note="why", payload={"x": 1}, updates={"withdrawn_at": when}
    )

    assert changed.status == dst
    request.refresh_from_db()
    assert (request.status, request.withdrawn_at) == (dst, when)
    event = RequestEvent.objects.get(request=request)
    assert (event.kind, event.from_status, event.to_status) == (EVENT_KIND[dst], src, dst)
    assert (event.actor, event.note, event.payload, event.internal) == (
        manager,
        "why",
        {"x": 1},
        False,
    )
    mirror = ContractEvent.objects.get(contract=request.contract)
    assert mirror.kind == f"cancellation_{EVENT_KIND[dst]}"
    assert mirror.reason == "why"
    assert mirror.payload == {"request": request.pk, "kind": Kind.EARLY_TERMINATION, "x": 1}


@pytest.mark.django_db
@pytest.mark.parametrize(("src", "dst"), REFUSED)
def test_every_other_change_is_refused_and_writes_nothing(src, dst):
    request = _request(src)

    with pytest.raises(InvalidTransition) as refused:
        _change(request, dst, by=None, updates={"withdrawn_at": timezone.now()})

    assert refused.value.message
    request.refresh_from_db()
    assert (request.status, request.withdrawn_at) == (src, None)
    assert not RequestEvent.objects.filter(request=request).exists()
    assert not ContractEvent.objects.filter(contract=request.contract).exists()


@pytest.mark.django_db
def test_a_change_expected_from_another_status_is_refused():
    request = _request(S.IN_REVIEW)

    with pytest.raises(InvalidTransition):
        _change(request, S.CONFIRMED, by=None, expect_from=[S.SUBMITTED])

    request.refresh_from_db()
    assert request.status == S.IN_REVIEW


@pytest.mark.django_db
def test_the_refusal_names_the_states_in_the_readers_language():
    request = _request(S.COMPLETED)

    with translation.override("zh-hans"), pytest.raises(InvalidTransition) as refused:
        _change(request, S.WITHDRAWN, by=None)
    assert "解约申请" in refused.value.message and "不能变为" in refused.value.message

    with translation.override("en"), pytest.raises(InvalidTransition) as refused:
        _change(request, S.WITHDRAWN, by=None)
    assert refused.value.message == (
        "Cancellation request that is “Completed” cannot become “Withdrawn”."
    )


@pytest.mark.django_db
def test_a_rolled_back_change_leaves_neither_status_nor_events():
    request = _request(S.CONFIRMED)

    with pytest.raises(RuntimeError), transaction.atomic():
        _change(request, S.COMPLETED, by=None)
        raise RuntimeError("settling the money failed")

    request.refresh_from_db()
    assert request.status == S.CONFIRMED
    assert not RequestEvent.objects.filter(request=request).exists()
    assert not ContractEvent.objects.filter(contract=request.contract).exists()


@pytest.mark.django_db
def test_the_event_is_published_after_the_commit_only(settings, django_capture_on_commit_callbacks):
    delivered.clear()
    settings.RENEWDESK_EVENT_DELIVERY = f"{__name__}.deliver"
    request = _request(S.SUBMITTED)

    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            _change(request, S.IN_REVIEW, by=None)
            assert delivered == []

    event = RequestEvent.objects.get(request=request)
    assert ("retention.RequestEvent", [event.pk]) in delivered


delivered: list[tuple[str, list[int]]] = []


def deliver(label: str, ids: list[int]) -> None:
    delivered.append((label, ids))


@pytest.mark.django_db
def test_a_refusal_on_the_staff_page_is_a_message_not_an_error(client, manager):
    contract = ContractFactory(customer__account_manager=manager, owner=manager)
    request = _request(S.WITHDRAWN, contract=contract)
    client.force_login(manager)

    response = client.post(reverse("retention:reject", args=[request.pk]), {"note": "late"})

    assert response.status_code == 302
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert shown and "Withdrawn" in shown[0]
    request.refresh_from_db()
    assert request.status == S.WITHDRAWN


# --- two workers on one request ------------------------------------------------------------


def _race(request: CancellationRequest, targets: list[str]) -> dict[str, str]:
    barrier = threading.Barrier(len(targets))
    results: dict[str, str] = {}

    def run(name: str, to: str) -> None:
        try:
            barrier.wait()
            _change(request, to, by=None, note=name)
            results[name] = "ok"
        except InvalidTransition as exc:
            results[name] = exc.message
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(f"worker{i}", to)) for i, to in enumerate(targets)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_two_workers_withdrawing_the_same_request_one_wins_once(round_):
    request = _request(S.IN_REVIEW)

    results = _race(request, [S.WITHDRAWN, S.WITHDRAWN])

    assert sorted(r == "ok" for r in results.values()) == [False, True]
    request.refresh_from_db()
    assert request.status == S.WITHDRAWN
    event = RequestEvent.objects.get(request=request)
    assert results[event.note] == "ok"  # the winner's event is the one written
    assert ContractEvent.objects.filter(contract=request.contract).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_confirming_and_keeping_the_same_request_at_once_one_wins(round_):
    request = _request(S.IN_REVIEW)

    results = _race(request, [S.CONFIRMED, S.RETAINED])

    assert sorted(r == "ok" for r in results.values()) == [False, True]
    request.refresh_from_db()
    event = RequestEvent.objects.get(request=request)
    assert request.status == {"worker0": S.CONFIRMED, "worker1": S.RETAINED}[event.note]
    assert event.to_status == request.status
