"""End-of-term processing in chunks: set-based locks and transitions, a bounded number of
queries per contract, and the fan-out over Celery workers giving the same result as the
synchronous run (chunk tasks run in this process: ``apply``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing.models import Invoice
from contracts import ends
from contracts.ends import process_contract_ends, process_contract_ends_fan_out
from contracts.models import Contract, ContractEvent, ContractStatus
from contracts.services import contract_set_auto_renew, contract_status_changed
from contracts.tasks import process_contract_ends_chunk_task, process_contract_ends_task
from renewals.models import RenewalCase, Stage
from tests.factories import ContractFactory, CustomerFactory, PlanFactory, StaffFactory

S = ContractStatus
END = dt.date(2026, 6, 30)
AS_OF = END + dt.timedelta(days=1)

pytestmark = pytest.mark.django_db


def _auto_renewing(manager):
    contract = ContractFactory(
        customer=CustomerFactory(account_manager=manager),
        plan=PlanFactory(price=Decimal("500.00")),
        start_date=dt.date(2025, 7, 1),
        end_date=END,
        total_amount=Decimal("6000.00"),
    )
    contract_set_auto_renew(
        contract=contract, enabled=True, by=None, channel="portal", text="Renew", text_version="1"
    )
    return contract


def _world():
    """A busy day in small: expiries, auto-renewals, a manual renewal, a start date."""
    manager = StaffFactory()
    expiring = [ContractFactory(end_date=END) for _ in range(5)]
    renewing = [_auto_renewing(manager) for _ in range(3)]
    by_hand = ContractFactory(end_date=END)
    ContractFactory(
        customer=by_hand.customer,
        predecessor=by_hand,
        status=S.SCHEDULED,
        start_date=AS_OF,
        end_date=AS_OF + dt.timedelta(days=364),
    )
    RenewalCase.objects.create(
        contract=by_hand, owner=manager, stage=Stage.SIGNED, opened_at=timezone.now()
    )
    scheduled = [
        ContractFactory(status=S.SCHEDULED, start_date=END, end_date=END + dt.timedelta(365))
        for _ in range(3)
    ]
    later = ContractFactory(end_date=AS_OF)  # its last day: stays active
    return {
        "expiring": expiring,
        "renewing": renewing,
        "by_hand": by_hand,
        "scheduled": scheduled,
        "later": later,
    }


def _outcome(world):
    def status(c):
        c.refresh_from_db()
        return c.status

    return {
        "expiring": [status(c) for c in world["expiring"]],
        "renewing": [status(c) for c in world["renewing"]],
        "successors": [Contract.objects.get(predecessor=c).status for c in world["renewing"]],
        "invoices": [
            Invoice.objects.filter(contract__predecessor=c).count() for c in world["renewing"]
        ],
        "by_hand": status(world["by_hand"]),
        "case": RenewalCase.objects.get(contract=world["by_hand"]).stage,
        "scheduled": [status(c) for c in world["scheduled"]],
        "later": status(world["later"]),
        "events": sorted(
            ContractEvent.objects.filter(
                kind__in=["expired", "renewed", "activated", "auto_renewed"]
            ).values_list("kind", flat=True)
        ),
    }


EXPECTED = {
    "expiring": [S.EXPIRED] * 5,
    "renewing": [S.RENEWED] * 3,
    "successors": [S.ACTIVE] * 3,
    "invoices": [1, 1, 1],
    "by_hand": S.RENEWED,
    "case": Stage.WON,
    "scheduled": [S.ACTIVE] * 3,
    "later": S.ACTIVE,
    # 3 scheduled + the hand-made successor + 3 auto-renewed successors activated.
    "events": sorted(["activated"] * 7 + ["auto_renewed"] * 3 + ["expired"] * 5 + ["renewed"] * 4),
}
EXPECTED_REPORT = {
    "as_of": AS_OF.isoformat(),
    "activated": 4,
    "cancellations_completed": 0,
    "auto_renewed": 3,
    "auto_renew_blocked": 0,
    "renewed": 1,
    "expired": 5,
    "errors": 0,
    "renewal_failed": [],
}


def _run_in_process(run, step, as_of, index, ids):
    process_contract_ends_chunk_task.apply(args=(run, step, as_of.isoformat(), index, ids))


@pytest.mark.parametrize("mode", ["sync", "fan_out", "fan_out_without_workers"])
def test_the_fan_out_gives_the_same_result_as_the_synchronous_run(
    mode, notice, small_chunks, eager
):
    world = _world()
    if mode == "sync":
        report = process_contract_ends(as_of=AS_OF)
    elif mode == "fan_out":
        report = process_contract_ends_fan_out(as_of=AS_OF, dispatch=_run_in_process)
    else:  # nobody takes the chunks: the coordinator does them all itself
        report = process_contract_ends_fan_out(as_of=AS_OF, dispatch=lambda *a: None)
    assert report.as_dict() == EXPECTED_REPORT
    assert _outcome(world) == EXPECTED
    again = process_contract_ends_fan_out(as_of=AS_OF, dispatch=_run_in_process)
    assert again.as_dict() == {**EXPECTED_REPORT, **dict.fromkeys(EXPECTED_REPORT, 0)} | {
        "as_of": AS_OF.isoformat(),
        "renewal_failed": [],
    }
    assert _outcome(world) == EXPECTED


def test_a_chunk_whose_worker_vanished_is_done_by_the_coordinator(small_chunks, eager):
    expiring = [ContractFactory(end_date=END) for _ in range(5)]
    sent = []
    # Claimed by a "worker" that never reports back: the coordinator waits, then redoes it.
    from django.core.cache import cache

    def claim_and_vanish(run, step, as_of, index, ids):
        sent.append(index)
        cache.add(ends._chunk_key(run, step, index, "claim"), 1, 60)

    report = process_contract_ends_fan_out(as_of=AS_OF, dispatch=claim_and_vanish, stale_seconds=0)
    assert sent == [0, 1, 2]
    assert report.expired == 5
    assert all(Contract.objects.get(pk=c.pk).status == S.EXPIRED for c in expiring)


def test_a_chunk_task_runs_once_per_claim(eager):
    contract = ContractFactory(end_date=END)
    args = ("run-1", "expire", AS_OF.isoformat(), 0, [contract.pk])
    assert process_contract_ends_chunk_task.apply(args=args).get() is True
    assert process_contract_ends_chunk_task.apply(args=args).get() is False
    contract.refresh_from_db()
    assert contract.status == S.EXPIRED


def test_without_a_shared_cache_the_daily_task_runs_synchronously(settings, monkeypatch):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert not ends.fan_out_possible()
    monkeypatch.setattr(
        ends, "_dispatch_chunk", lambda *a: pytest.fail("nothing may be sent to workers")
    )
    ContractFactory(end_date=END)
    assert process_contract_ends_task(AS_OF.isoformat())["expired"] == 1


def test_the_command_can_fan_out(eager, small_chunks, monkeypatch):
    monkeypatch.setattr(ends, "_dispatch_chunk", _run_in_process)
    for _ in range(3):
        ContractFactory(end_date=END)
    out = StringIO()
    call_command("process_contract_ends", "--as-of", AS_OF.isoformat(), "--fan-out", stdout=out)
    assert "expired: 3" in out.getvalue() and "errors: 0" in out.getvalue()


def test_batched_expiry_writes_the_same_event_and_signal_as_one_by_one(
    django_capture_on_commit_callbacks,
):
    contracts = [ContractFactory(end_date=END) for _ in range(3)]
    sent = []

    def receiver(sender, **kwargs):
        sent.append((kwargs["contract_id"], kwargs["from_status"], kwargs["to_status"]))

    contract_status_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            report = process_contract_ends(as_of=AS_OF)
    finally:
        contract_status_changed.disconnect(receiver)
    assert report.expired == 3
    assert sorted(sent) == sorted((c.pk, S.ACTIVE, S.EXPIRED) for c in contracts)
    for contract in contracts:
        contract.refresh_from_db()
        assert contract.ended_at is not None
        event = contract.events.get(kind="expired")
        assert (event.from_status, event.to_status) == (S.ACTIVE, S.EXPIRED)
        assert event.reason == "The term ended without a renewal"


def test_a_failing_contract_is_reported_alone_and_its_chunk_redone_one_by_one(monkeypatch):
    contracts = [ContractFactory(end_date=END) for _ in range(4)]
    bad = contracts[1]
    real_expire = ends.contract_services.contract_expire

    def expire(*, contract, **kwargs):
        if contract.pk == bad.pk:
            raise RuntimeError("broken contract")
        return real_expire(contract=contract, **kwargs)

    def failing_batch(**kwargs):
        raise RuntimeError("batch fails")

    monkeypatch.setattr(ends.contract_services, "contract_expire", expire)
    monkeypatch.setattr(ends.contract_services, "contracts_transition_locked", failing_batch)
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
    # queries per contract, one transaction each).
    assert ten == twenty
    assert twenty <= 15


def test_an_auto_renewal_costs_a_bounded_number_of_queries(notice):
    manager = StaffFactory()
    for _ in range(2):
        _auto_renewing(manager)
    two = _queries(lambda: process_contract_ends(as_of=AS_OF))
    for _ in range(4):
        c = _auto_renewing(manager)
        Contract.objects.filter(pk=c.pk).update(end_date=AS_OF)
    four = _queries(lambda: process_contract_ends(as_of=AS_OF + dt.timedelta(days=1)))
    per_contract = (four - two) / 2
    # Was 92 (each transition locked and re-read its row, a number took four
    # statements). Now 57: successor with lines, five transitions, consent, invoice,
    # renewal case and follow-up task, each with its event.
    assert per_contract <= 57, per_contract
