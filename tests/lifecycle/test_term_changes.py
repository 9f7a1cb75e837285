"""The end-of-term rules over a chunk (lifecycle/term_changes.py): the same rule function
for a chunk and for one contract, set-based locks and transitions, and a bounded number
of queries per chunk, not per contract."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contracts import contract_states
from contracts.models import Contract, ContractEvent, ContractStatus
from lifecycle import term_changes
from lifecycle.contract_ends import process_contract_ends
from renewals.models import RenewalCase, Stage
from tests.factories import ContractFactory

S = ContractStatus
END = dt.date(2026, 6, 30)
AS_OF = END + dt.timedelta(days=1)

pytestmark = pytest.mark.django_db


def _day(*, successor_status=S.SCHEDULED):
    """An ended term without successor, one renewed by hand, a scheduled start, a term on
    its last day, and a contract already expired."""
    plain = ContractFactory(end_date=END)
    by_hand = ContractFactory(end_date=END)
    ContractFactory(
        customer=by_hand.customer,
        predecessor=by_hand,
        status=successor_status,
        start_date=AS_OF + dt.timedelta(days=1),
        end_date=AS_OF + dt.timedelta(days=365),
    )
    RenewalCase.objects.create(
        contract=by_hand, owner=by_hand.owner, stage=Stage.SIGNED, opened_at=timezone.now()
    )
    starting = ContractFactory(
        status=S.SCHEDULED, start_date=AS_OF, end_date=AS_OF + dt.timedelta(days=364)
    )
    last_day = ContractFactory(end_date=AS_OF)
    expired = ContractFactory(status=S.EXPIRED, end_date=END)
    return [plain, by_hand, starting, last_day, expired]


def _statuses(contracts):
    return [Contract.objects.get(pk=c.pk).status for c in contracts]


@pytest.mark.parametrize("one_by_one", [False, True], ids=["chunk", "one_by_one"])
def test_each_rule_changes_the_same_contracts_for_a_chunk_and_one_at_a_time(one_by_one):
    contracts = _day()
    ids = [c.pk for c in contracts]
    done = {}
    for name in ("terms_start", "terms_renewed", "terms_expire"):
        rule = getattr(term_changes, name)
        done[name] = sum(rule([pk], AS_OF) for pk in ids) if one_by_one else rule(ids, AS_OF)

    assert done == {"terms_start": 1, "terms_renewed": 1, "terms_expire": 1}
    assert _statuses(contracts) == [S.EXPIRED, S.RENEWED, S.ACTIVE, S.ACTIVE, S.EXPIRED]
    assert RenewalCase.objects.get(contract=contracts[1]).stage == Stage.WON
    # run again, nothing is left to do
    assert [term_changes.terms_expire(ids, AS_OF), term_changes.terms_renewed(ids, AS_OF)] == [0, 0]


PUBLISHED: list[tuple[str, list[int]]] = []


def record_publish(label: str, ids: list[int]) -> None:
    PUBLISHED.append((label, list(ids)))


def test_batched_expiry_writes_and_publishes_the_same_events_as_one_by_one(
    settings, django_capture_on_commit_callbacks
):
    settings.RENEWDESK_EVENT_DELIVERY = "tests.lifecycle.test_term_changes.record_publish"
    PUBLISHED.clear()
    contracts = [ContractFactory(end_date=END) for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        report = process_contract_ends(as_of=AS_OF)
    assert report.expired == 3
    expired = ContractEvent.objects.filter(contract__in=contracts, kind="expired")
    published = {pk for label, ids in PUBLISHED if label == "contracts.ContractEvent" for pk in ids}
    assert set(expired.values_list("pk", flat=True)) <= published
    assert sorted(expired.values_list("contract_id", "from_status", "to_status")) == sorted(
        (c.pk, S.ACTIVE, S.EXPIRED) for c in contracts
    )
    for contract in contracts:
        contract.refresh_from_db()
        assert contract.ended_at is not None
        event = contract.events.get(kind="expired")
        assert (event.from_status, event.to_status) == (S.ACTIVE, S.EXPIRED)
        assert event.reason == "The term ended without a renewal"


def test_a_failing_contract_is_reported_alone_and_its_chunk_redone_one_by_one(monkeypatch):
    contracts = [ContractFactory(end_date=END) for _ in range(4)]
    bad = contracts[1]
    real = contract_states.contracts_transition_locked

    def transition(*, contracts, **kwargs):
        if any(c.pk == bad.pk for c in contracts):
            raise RuntimeError("broken contract")
        return real(contracts=contracts, **kwargs)

    monkeypatch.setattr(contract_states, "contracts_transition_locked", transition)
    report = process_contract_ends(as_of=AS_OF)
    assert report.expired == 3
    assert report.errors == [f"{bad.pk}: broken contract"]
    statuses = {c.pk: Contract.objects.get(pk=c.pk).status for c in contracts}
    assert statuses == {c.pk: (S.ACTIVE if c is bad else S.EXPIRED) for c in contracts}


# --- queries per contract ----------------------------------------------------------------
#
# Counted inside the test transaction: what runs after commit (webhook and survey
# receivers, customer messages) is not in these figures.


def _queries(run):
    with CaptureQueriesContext(connection) as ctx:
        run()
    return len(ctx.captured_queries)


def test_expiry_costs_no_query_per_contract():
    for _ in range(10):
        ContractFactory(end_date=END)
    ten = _queries(lambda: process_contract_ends(as_of=AS_OF))
    for _ in range(20):
        ContractFactory(end_date=END + dt.timedelta(days=1))
    twenty = _queries(lambda: process_contract_ends(as_of=AS_OF + dt.timedelta(days=1)))
    # Locks, the successor check, one UPDATE and one INSERT per chunk of 100 (was 11
    # queries per contract, one transaction each), and one read of the chunk's events by
    # the reactions that run inside the transaction (lifecycle/reactions.py), and one
    # read of the expired contracts' open renewal cases (closed as lost).
    assert ten == twenty
    assert twenty <= 17
