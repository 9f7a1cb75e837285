"""End-of-term processing: activation, auto-renewal, renewal, expiry, cancellations."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from billing.models import Invoice
from contracts.models import Contract, ContractStatus
from contracts.services import contract_set_auto_renew
from lifecycle import auto_renewal
from lifecycle.contract_ends import process_contract_ends
from tests.factories import ContractFactory, CustomerFactory, PlanFactory, StaffFactory

S = ContractStatus
END = dt.date(2026, 6, 30)


def _auto_renewing(manager=None, **kwargs):
    plan = PlanFactory(price=Decimal("500.00"))
    contract = ContractFactory(
        customer=CustomerFactory(account_manager=manager or StaffFactory()),
        plan=plan,
        start_date=dt.date(2025, 7, 1),
        end_date=END,
        total_amount=Decimal("6000.00"),
        **kwargs,
    )
    contract_set_auto_renew(
        contract=contract,
        enabled=True,
        by=None,
        channel="portal",
        text="Renew me",
        text_version="1",
    )
    return contract


def test_it_activates_scheduled_contracts_whose_start_date_came(db):
    due = ContractFactory(status=S.SCHEDULED, start_date=END, end_date=END + dt.timedelta(365))
    later = ContractFactory(
        status=S.SCHEDULED, start_date=END + dt.timedelta(1), end_date=END + dt.timedelta(365)
    )
    report = process_contract_ends(as_of=END)
    due.refresh_from_db()
    later.refresh_from_db()
    assert report.activated == 1
    assert (due.status, later.status) == (S.ACTIVE, S.SCHEDULED)


def test_it_expires_contracts_that_ended_without_renewal_and_only_those(db):
    ended = ContractFactory(end_date=END)
    last_day = ContractFactory(end_date=END + dt.timedelta(days=1))
    report = process_contract_ends(as_of=END + dt.timedelta(days=1))
    ended.refresh_from_db()
    last_day.refresh_from_db()
    assert report.expired == 1
    assert (ended.status, last_day.status) == (S.EXPIRED, S.ACTIVE)
    assert ended.events.filter(kind="expired").count() == 1


def test_it_is_idempotent(db, notice):
    contract = _auto_renewing()
    first = process_contract_ends(as_of=END + dt.timedelta(days=1))
    second = process_contract_ends(as_of=END + dt.timedelta(days=1))
    assert first.auto_renewed == 1 and second.auto_renewed == 0
    assert second.as_dict()["activated"] == 0 and second.renewed == 0
    contract.refresh_from_db()
    assert contract.status == S.RENEWED
    successor = Contract.objects.get(predecessor=contract)
    assert successor.status == S.ACTIVE and successor.start_date == END + dt.timedelta(days=1)
    assert successor.total_amount == Decimal("6000.00")  # 12 × 500 per month
    assert Invoice.objects.filter(contract=successor).count() == 1


def test_a_run_days_late_still_renews_into_a_term_starting_the_day_after_the_end(db, notice):
    contract = _auto_renewing()
    process_contract_ends(as_of=END + dt.timedelta(days=5))
    successor = Contract.objects.get(predecessor=contract)
    assert successor.start_date == dt.date(2026, 7, 1)
    assert successor.end_date == dt.date(2027, 6, 30)


def test_auto_renew_off_means_expiry(db, notice):
    contract = _auto_renewing()
    contract_set_auto_renew(
        contract=contract, enabled=False, by=None, channel="portal", text="Stop", text_version="1"
    )
    process_contract_ends(as_of=END + dt.timedelta(days=1))
    contract.refresh_from_db()
    assert contract.status == S.EXPIRED
    assert not Contract.objects.filter(predecessor=contract).exists()


def test_it_hands_due_cancellations_to_the_retention_app(db, monkeypatch):
    calls = []
    monkeypatch.setattr(
        "retention.services.cancellations_complete_due",
        lambda *, as_of: calls.append(as_of) or 2,
    )
    report = process_contract_ends(as_of=END)
    assert calls == [END] and report.cancellations_completed == 2


def test_the_command_runs_for_a_given_date_and_rejects_a_bad_one(db):
    ContractFactory(end_date=END)
    out = StringIO()
    call_command("process_contract_ends", "--as-of", "2026-07-01", stdout=out)
    assert "expired: 1" in out.getvalue()
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("process_contract_ends", "--as-of", "yesterday")


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_make_exactly_one_successor_per_contract(monkeypatch):
    monkeypatch.setattr(auto_renewal, "renewal_notice_was_delivered", lambda contract: True)
    manager = StaffFactory()
    contracts = [_auto_renewing(manager) for _ in range(6)]
    barrier = threading.Barrier(2)
    reports = []
    errors = []

    def run():
        try:
            barrier.wait()
            reports.append(process_contract_ends(as_of=END + dt.timedelta(days=1)))
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert not any(r.errors for r in reports)
    assert sum(r.auto_renewed for r in reports) == 6
    for contract in contracts:
        contract.refresh_from_db()
        assert contract.status == S.RENEWED
        assert Contract.objects.filter(predecessor=contract).count() == 1
        successor = Contract.objects.get(predecessor=contract)
        assert Invoice.objects.filter(contract=successor).count() == 1
