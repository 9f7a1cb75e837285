"""End-of-term processing in chunks: set-based locks and transitions, a bounded number of
queries per contract, and the daily task's Celery canvas (a chord per shared step)
giving the same result as the run in one process (eager here: every task runs in this
process; tests/lifecycle/test_end_tasks_worker.py runs it on a real worker)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from billing.models import Invoice
from contracts.models import Contract, ContractEvent, ContractStatus
from contracts.services import contract_set_auto_renew
from lifecycle.contract_ends import process_contract_ends
from lifecycle.end_tasks import (
    contract_ends_chunk_task,
    process_contract_ends_chunk_task_old_name,
    process_contract_ends_task,
    process_contract_ends_task_old_name,
)
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


@pytest.mark.parametrize("mode", ["sync", "celery"])
def test_the_celery_run_gives_the_same_result_as_the_run_in_one_process(
    mode, notice, small_chunks, eager
):
    world = _world()
    if mode == "sync":
        report = process_contract_ends(as_of=AS_OF).as_dict()
    else:
        report = process_contract_ends_task.delay(AS_OF.isoformat()).get()
    assert report == EXPECTED_REPORT
    assert _outcome(world) == EXPECTED
    again = process_contract_ends_task.delay(AS_OF.isoformat()).get()
    assert again == {**EXPECTED_REPORT, **dict.fromkeys(EXPECTED_REPORT, 0)} | {
        "as_of": AS_OF.isoformat(),
        "renewal_failed": [],
    }
    assert _outcome(world) == EXPECTED


def test_a_step_of_several_chunks_becomes_a_chord_whose_body_goes_on(
    notice, small_chunks, eager, monkeypatch
):
    # given five contracts to expire: three chunks of two
    expiring = [ContractFactory(end_date=END) for _ in range(5)]
    chunks = []
    real_chunk = contract_ends_chunk_task.run

    def chunk(step, as_of, ids):
        chunks.append((step, sorted(ids)))
        return real_chunk(step, as_of, ids)

    monkeypatch.setattr(contract_ends_chunk_task, "run", chunk)

    # when the daily task runs
    summary = process_contract_ends_task.delay(AS_OF.isoformat()).get()

    # then every chunk ran as its own task and the body added their reports up
    assert chunks == [("expire", sorted(c.pk for c in expiring[i : i + 2])) for i in (0, 2, 4)]
    assert summary["expired"] == 5
    assert all(Contract.objects.get(pk=c.pk).status == S.EXPIRED for c in expiring)


def test_a_chunk_task_may_run_twice(eager):
    contract = ContractFactory(end_date=END)
    args = ("expire", AS_OF.isoformat(), [contract.pk])
    assert contract_ends_chunk_task.apply(args=args).get()["expired"] == 1
    assert contract_ends_chunk_task.apply(args=args).get()["expired"] == 0
    contract.refresh_from_db()
    assert contract.status == S.EXPIRED


def test_a_chunk_queued_under_the_old_task_name_is_still_done():
    contract = ContractFactory(end_date=END)
    args = ("run-1", "expire", AS_OF.isoformat(), 0, [contract.pk])
    assert process_contract_ends_chunk_task_old_name.apply(args=args).get() is True
    contract.refresh_from_db()
    assert contract.status == S.EXPIRED


def test_the_daily_task_sent_under_its_old_name_still_runs():
    contract = ContractFactory(end_date=END)
    assert process_contract_ends_task_old_name.name == "contracts.tasks.process_contract_ends_task"
    summary = process_contract_ends_task_old_name.apply(args=(AS_OF.isoformat(),)).get()
    assert summary["expired"] == 1
    contract.refresh_from_db()
    assert contract.status == S.EXPIRED


def test_the_command_can_send_the_run_to_celery(eager, small_chunks):
    for _ in range(3):
        ContractFactory(end_date=END)
    out = StringIO()
    call_command("process_contract_ends", "--as-of", AS_OF.isoformat(), "--fan-out", stdout=out)
    assert "expired: 3" in out.getvalue() and "errors: 0" in out.getvalue()
