"""core.state_machine: the one way a status changes, on a table of its own (not any entity's
product table), over a real model and the real PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction
from django.test.utils import override_settings

from contracts.models import Contract, ContractEvent
from core.errors import InvalidTransition
from core.state_machine import StateMachine
from tests.factories import ContractFactory

# A toy workflow over Contract.status, independent of the product's table.
TOY = StateMachine(
    model=Contract,
    transitions={
        "draft": frozenset({"active"}),
        "active": frozenset({"expired", "terminated"}),
        "expired": frozenset(),
        "terminated": frozenset(),
    },
)

DELIVERED: list[tuple[str, list[int]]] = []


def record_delivery(label: str, ids: list[int]) -> None:
    DELIVERED.append((label, list(ids)))


def _event(obj, src, dst):
    return ContractEvent(contract=obj, kind="toy", from_status=src, to_status=dst)


def test_a_table_naming_an_unknown_status_is_refused_at_import():
    with pytest.raises(ValueError, match="unknown"):
        StateMachine(model=Contract, transitions={"draft": frozenset({"nowhere"})})


def test_reading_the_table():
    assert TOY.can("draft", "active")
    assert not TOY.can("active", "draft")
    assert TOY.sources_of("expired") == frozenset({"active"})
    assert TOY.is_final("terminated") and not TOY.is_final("active")


def test_a_refused_transition_names_both_statuses_in_words():
    with pytest.raises(InvalidTransition) as refused:
        TOY.check("expired", "active")
    assert "Expired" in str(refused.value) and "Active" in str(refused.value)
    with pytest.raises(InvalidTransition):
        TOY.check("active", "expired", expect_from=["draft"])


@pytest.mark.django_db
def test_change_writes_status_fields_and_event_then_publishes_after_commit(
    django_capture_on_commit_callbacks,
):
    contract = ContractFactory(status="active")
    DELIVERED.clear()
    with override_settings(
        RENEWDESK_EVENT_DELIVERY="tests.core.test_state_machine.record_delivery"
    ):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            TOY.change(contract, "expired", event=_event, updates={"auto_renew": False})
        assert DELIVERED == []  # nothing before the commit
        for callback in callbacks:
            callback()
    contract.refresh_from_db()
    assert (contract.status, contract.auto_renew) == ("expired", False)
    event = ContractEvent.objects.get(contract=contract, kind="toy")
    assert (event.from_status, event.to_status) == ("active", "expired")
    assert DELIVERED == [("contracts.ContractEvent", [event.pk])]


@pytest.mark.django_db
def test_a_refused_change_writes_nothing():
    contract = ContractFactory(status="expired")
    with pytest.raises(InvalidTransition):
        TOY.change(contract, "active", event=_event)
    assert Contract.objects.get(pk=contract.pk).status == "expired"
    assert not ContractEvent.objects.filter(contract=contract, kind="toy").exists()


@pytest.mark.django_db
def test_a_rolled_back_transaction_keeps_neither_status_nor_event():
    contract = ContractFactory(status="active")
    with pytest.raises(RuntimeError), transaction.atomic():
        TOY.change(contract, "expired", event=_event)
        raise RuntimeError("the caller fails after the change")
    assert Contract.objects.get(pk=contract.pk).status == "active"
    assert not ContractEvent.objects.filter(contract=contract, kind="toy").exists()


@pytest.mark.django_db
def test_change_if_swaps_only_from_the_expected_status():
    contract = ContractFactory(status="active")
    assert TOY.change_if(contract.pk, "expired", expect_from=["active"])
    assert not TOY.change_if(contract.pk, "terminated", expect_from=["active"])
    assert Contract.objects.get(pk=contract.pk).status == "expired"
    with pytest.raises(InvalidTransition):
        TOY.change_if(contract.pk, "active", expect_from=["expired"])


@pytest.mark.django_db
def test_change_if_with_an_event_writes_one_row_naming_the_status_it_swapped_from():
    # Two sources allowed: the event must say which one the row was actually in.
    toy = StateMachine(
        model=Contract,
        transitions={
            "draft": frozenset({"terminated"}),
            "active": frozenset({"terminated"}),
            "terminated": frozenset(),
        },
    )
    contract = ContractFactory(status="active")

    assert toy.change_if(contract.pk, "terminated", expect_from=["draft", "active"], event=_event)
    assert not toy.change_if(
        contract.pk, "terminated", expect_from=["draft", "active"], event=_event
    )

    events = list(ContractEvent.objects.filter(contract=contract, kind="toy"))
    assert [(e.from_status, e.to_status) for e in events] == [("active", "terminated")]


@pytest.mark.django_db
def test_change_if_swaps_only_where_the_claim_condition_holds():
    contract = ContractFactory(status="active", auto_renew=False)

    assert not TOY.change_if(
        contract.pk, "expired", expect_from=["active"], where={"auto_renew": True}, event=_event
    )
    assert Contract.objects.get(pk=contract.pk).status == "active"
    assert not ContractEvent.objects.filter(contract=contract, kind="toy").exists()

    assert TOY.change_if(
        contract.pk, "expired", expect_from=["active"], where={"auto_renew": False}, event=_event
    )
    assert Contract.objects.get(pk=contract.pk).status == "expired"


@pytest.mark.django_db(transaction=True)
def test_the_batch_form_needs_the_callers_transaction():
    contract = ContractFactory(status="active")
    with pytest.raises(RuntimeError, match="transaction"):
        TOY.change_locked_many([contract], "expired", event=_event)
    assert Contract.objects.get(pk=contract.pk).status == "active"


@pytest.mark.django_db
def test_the_batch_form_refuses_all_or_nothing():
    ok, ended = ContractFactory(status="active"), ContractFactory(status="expired")
    with pytest.raises(InvalidTransition), transaction.atomic():
        locked = list(Contract.objects.select_for_update().filter(pk__in=[ok.pk, ended.pk]))
        TOY.change_locked_many(locked, "terminated", event=_event)
    assert Contract.objects.get(pk=ok.pk).status == "active"
    with transaction.atomic():
        locked = list(Contract.objects.select_for_update().filter(pk=ok.pk))
        TOY.change_locked_many(locked, "terminated", event=_event)
    assert Contract.objects.get(pk=ok.pk).status == "terminated"
    assert (
        ContractEvent.objects.filter(contract=ok, kind="toy", to_status="terminated").count() == 1
    )


@pytest.mark.django_db(transaction=True)
def test_two_threads_racing_on_one_row_exactly_one_wins():
    assert connection.vendor == "postgresql"
    contract = ContractFactory(status="active")
    barrier = threading.Barrier(2)
    results: list[str] = []

    def attempt(target: str) -> None:
        try:
            barrier.wait()
            TOY.change(Contract.objects.get(pk=contract.pk), target, event=_event)
            results.append("won")
        except InvalidTransition:
            results.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(t,)) for t in ("expired", "terminated")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["refused", "won"]
    assert ContractEvent.objects.filter(contract=contract, kind="toy").count() == 1
