"""lifecycle.reactions: the reactions of lifecycle.subscriptions run from the committed event
rows, once each, whatever happens between the commit and the reaction (real PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import override_settings
from django.utils.module_loading import import_string

from contracts.models import ContractEvent
from core.events import event_publish
from lifecycle import reactions, subscriptions
from lifecycle.reactions import deliver_now, events_sweep, rows_failed
from lifecycle.subscriptions import SUBSCRIPTIONS, Subscription
from tests.factories import ContractFactory

T0 = dt.datetime(2027, 3, 1, 2, 0, tzinfo=dt.UTC)

# What the test reactions saw: (thread name, event id).
SEEN: list[tuple[str, int]] = []
FAILURES: dict[str, int] = {"left": 0}
BARRIER: dict[str, threading.Barrier | None] = {"barrier": None}


def record(event: ContractEvent) -> None:
    SEEN.append((threading.current_thread().name, event.pk))
    barrier = BARRIER["barrier"]
    if barrier is not None:
        barrier.wait(10)  # both sweepers hold their claims at the same moment


def flaky(event: ContractEvent) -> None:
    if FAILURES["left"] > 0:
        FAILURES["left"] -= 1
        raise RuntimeError("the survey service is down")
    record(event)


def in_the_writers_transaction(event: ContractEvent) -> None:
    SEEN.append(("in transaction", event.pk))


def undeliverable(label: str, ids: list[int]) -> None:
    raise ConnectionError("the process died after the commit")


def _table(reaction: str, *, in_transaction: bool = False) -> tuple[Subscription, ...]:
    return (
        Subscription(
            name="test: toy reaction",
            event="contracts.ContractEvent",
            kinds=frozenset({"toy"}),
            reaction=f"tests.lifecycle.test_reactions.{reaction}",
            in_transaction=in_transaction,
        ),
    )


@pytest.fixture(autouse=True)
def _reset(monkeypatch):
    SEEN.clear()
    FAILURES["left"] = 0
    BARRIER["barrier"] = None
    yield
    BARRIER["barrier"] = None


@pytest.fixture
def toy_table(monkeypatch):
    def use(reaction: str, *, in_transaction: bool = False) -> None:
        monkeypatch.setattr(
            subscriptions, "SUBSCRIPTIONS", _table(reaction, in_transaction=in_transaction)
        )

    return use


def _toy_event(contract, **kwargs) -> ContractEvent:
    return ContractEvent.objects.create(contract=contract, kind="toy", **kwargs)


def _reacted(event: ContractEvent) -> ContractEvent:
    return ContractEvent.objects.get(pk=event.pk)


@pytest.mark.django_db(transaction=True)
def test_a_crash_between_the_commit_and_the_reactions_is_picked_up_by_the_sweep(toy_table):
    toy_table("record")
    contract = ContractFactory()
    with override_settings(RENEWDESK_EVENT_DELIVERY="tests.lifecycle.test_reactions.undeliverable"):
        with transaction.atomic():
            event = _toy_event(contract)
    # committed, and the immediate delivery failed: nothing ran, the row waits
    assert SEEN == [] and _reacted(event).reacted_at is None

    report = events_sweep()

    assert SEEN == [("MainThread", event.pk)]
    assert report.reacted >= 1 and _reacted(event).reacted_at is not None
    events_sweep()
    assert SEEN == [("MainThread", event.pk)]  # once


@pytest.mark.django_db(transaction=True)
def test_a_committed_event_reacts_right_after_its_commit(toy_table):
    toy_table("record")
    contract = ContractFactory()
    with transaction.atomic():
        event = _toy_event(contract)
        assert SEEN == []  # not before the commit
    assert SEEN == [("MainThread", event.pk)]
    assert _reacted(event).reacted_at is not None


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_event_has_no_reactions(toy_table):
    toy_table("record")
    contract = ContractFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        _toy_event(contract)
        raise RuntimeError("the change failed")
    events_sweep()
    assert SEEN == []


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweepers_claim_disjoint_rows(toy_table, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's SKIP LOCKED")
    toy_table("record")
    contract = ContractFactory()
    with override_settings(RENEWDESK_EVENT_DELIVERY=""):
        events = [_toy_event(contract) for _ in range(6)]
    # Each sweeper claims a batch of 3 and waits inside its reactions until the other is
    # inside its own: two claims held at once, on different rows.
    BARRIER["barrier"] = threading.Barrier(2)
    monkeypatch.setattr(reactions, "BATCH_SIZE", 3)
    results: dict[str, reactions.ReactionReport] = {}

    def sweep(name: str) -> None:
        try:
            results[name] = events_sweep(batch_size=3, max_batches=1)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep, args=(n,), name=n) for n in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert not any(thread.is_alive() for thread in threads)

    by_thread = {name: {pk for who, pk in SEEN if who == name} for name in ("one", "two")}
    assert len(by_thread["one"]) == len(by_thread["two"]) == 3
    assert by_thread["one"].isdisjoint(by_thread["two"])
    assert by_thread["one"] | by_thread["two"] == {e.pk for e in events}
    assert len(SEEN) == 6  # nothing twice
    assert results["one"].reacted == results["two"].reacted == 3
    assert not ContractEvent.objects.filter(kind="toy", reacted_at__isnull=True).exists()


@pytest.mark.django_db
def test_a_failing_reaction_is_recorded_and_retried_after_a_delay(toy_table, settings):
    settings.RENEWDESK_REACTION_RETRY_BASE_SECONDS = 60
    toy_table("flaky")
    FAILURES["left"] = 2
    contract = ContractFactory()
    event = _toy_event(contract, at=T0)

    with time_machine.travel(T0, tick=False):
        first = events_sweep()
    failed = _reacted(event)
    assert first.failed == 1
    assert failed.reacted_at is None and failed.reaction_attempts == 1
    assert "test: toy reaction" in failed.reaction_error
    assert "the survey service is down" in failed.reaction_error
    assert failed.reaction_retry_at == T0 + dt.timedelta(seconds=60)

    with time_machine.travel(T0 + dt.timedelta(seconds=30), tick=False):
        assert events_sweep().failed == 0  # not due yet: not tried
    assert _reacted(event).reaction_attempts == 1

    with time_machine.travel(T0 + dt.timedelta(seconds=61), tick=False):
        events_sweep()
    assert _reacted(event).reaction_attempts == 2
    assert _reacted(event).reaction_retry_at == T0 + dt.timedelta(seconds=61 + 120)

    with time_machine.travel(T0 + dt.timedelta(minutes=10), tick=False):
        events_sweep()
    done = _reacted(event)
    assert done.reacted_at is not None and done.reaction_error == ""
    assert SEEN == [("MainThread", event.pk)]


@pytest.mark.django_db
def test_a_row_is_given_up_after_the_last_attempt_and_listed_for_the_admin(toy_table, settings):
    settings.RENEWDESK_REACTION_MAX_ATTEMPTS = 2
    toy_table("flaky")
    FAILURES["left"] = 5
    event = _toy_event(ContractFactory(), at=T0)

    for minutes in (0, 5, 60):
        with time_machine.travel(T0 + dt.timedelta(minutes=minutes), tick=False):
            events_sweep()

    assert _reacted(event).reaction_attempts == 2
    assert list(rows_failed(ContractEvent)) == [event]
    assert SEEN == []


@pytest.mark.django_db
def test_a_failing_row_rolls_back_its_own_reactions_only(toy_table, monkeypatch):
    """One savepoint per row: the row whose reaction raised keeps none of its writes; the
    other rows of the batch are reacted."""
    toy_table("flaky")
    contract = ContractFactory()
    first, second = _toy_event(contract), _toy_event(contract)
    FAILURES["left"] = 1  # the first row's reaction fails

    report = events_sweep()

    assert report.failed == 1
    assert _reacted(first).reacted_at is None and _reacted(second).reacted_at is not None


@pytest.mark.django_db
def test_deliver_now_runs_only_the_given_rows(toy_table):
    toy_table("record")
    contract = ContractFactory()
    first, second = _toy_event(contract), _toy_event(contract)

    deliver_now("contracts.ContractEvent", [second.pk])

    assert SEEN == [("MainThread", second.pk)]
    assert _reacted(first).reacted_at is None


@pytest.mark.django_db(transaction=True)
def test_an_in_transaction_reaction_runs_with_the_writer_and_shares_its_fate(toy_table):
    toy_table("in_the_writers_transaction", in_transaction=True)
    contract = ContractFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        event = _toy_event(contract)
        assert SEEN == [("in transaction", event.pk)]  # at once, before the commit
        raise RuntimeError("the change failed")
    SEEN.clear()

    with transaction.atomic():
        kept = _toy_event(contract)
        event_publish(kept)  # a second publish of the same row does nothing
    assert SEEN == [("in transaction", kept.pk)]
    assert _reacted(kept).reacted_at is not None  # and the sweep has nothing left to run


def test_every_reaction_in_the_table_can_be_found():
    for subscription in SUBSCRIPTIONS:
        assert callable(import_string(subscription.reaction)), subscription.name
    names = [s.name for s in SUBSCRIPTIONS]
    assert len(names) == len(set(names))
