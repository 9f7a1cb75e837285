"""An open-ended contract (Germany: after the initial term, renewal only into an open-ended
contract) runs month by month: while automatic renewal is on, its end date is only the end
of the running month. It gets no "your contract ends in 30 / 15 / 7 days" reminder, no
renewal case and no expiry; once the customer switches automatic renewal off (gives
notice), the end date is real and it is treated like any term. Fixed dates throughout."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
import time_machine

import notifications.reminders.sweep as reminders_sweep_module
from contracts.auto_renew_consent import contract_set_auto_renew
from contracts.models import Contract, ContractStatus
from core.models import Task, TaskKind
from lifecycle.auto_renewal import is_open_ended
from lifecycle.contract_ends import process_contract_ends, step_queryset
from lifecycle.reminder_sweep import reminders_sweep
from notifications.models import Message
from renewals import services as renewal_services
from renewals.models import RenewalCase
from tests.lifecycle.test_compliance_renewal import (
    UTC,
    _contract,
    _local,
    _notice,
    _run,
    shipped_rules_seed,
)

pytestmark = pytest.mark.django_db

# The open-ended month that follows the initial term (1 Mar 2026 .. 28 Feb 2027).
MARCH = (dt.date(2027, 3, 1), dt.date(2027, 3, 31))


@pytest.fixture
def open_ended(db, _in_march_2027, django_capture_on_commit_callbacks):
    """A German contract renewed automatically into its open-ended continuation (March
    2027), with the reactions run (the reminder schedule is recomputed after commits)."""
    shipped_rules_seed()
    with (
        time_machine.travel(dt.datetime(2026, 12, 1, 9, tzinfo=UTC), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        contract = _contract("DE", start=dt.date(2026, 3, 1), end=dt.date(2027, 2, 28))
        _notice(contract, at=_local(dt.date(2027, 2, 1), "Europe/Berlin"))
        assert _run(contract).auto_renewed == 1
    successor = Contract.objects.get(predecessor=contract)
    assert is_open_ended(successor) and successor.auto_renew
    assert (successor.start_date, successor.end_date) == MARCH
    with django_capture_on_commit_callbacks(execute=True):
        process_contract_ends(as_of=MARCH[0])  # the month starts
    successor.refresh_from_db()
    assert successor.status == ContractStatus.ACTIVE
    return successor


@pytest.fixture(autouse=True)
def _in_march_2027():
    # Services stamp "today" (tasks, consents): a fixed day in the open-ended month.
    with time_machine.travel(dt.datetime(2027, 3, 1, 9, tzinfo=UTC), tick=False):
        yield


def _reminders(contract):
    return Message.objects.filter(contract=contract, kind="renewal_reminder")


def _sweep_the_month(capture):
    """The daily reminder sweep on each day of March 2027."""
    for day in range(1, 31):
        with capture(execute=True):
            reminders_sweep(as_of=dt.date(2027, 3, day))


@pytest.mark.parametrize("path", ["set_based", "portable"])
def test_an_open_ended_month_gets_no_end_of_term_reminders(
    open_ended, django_capture_on_commit_callbacks, monkeypatch, path
):
    if path == "portable":
        # the sweep's ORM path (databases other than PostgreSQL); only its choice is faked
        monkeypatch.setattr(reminders_sweep_module, "connection", SimpleNamespace(vendor="x"))
    _sweep_the_month(django_capture_on_commit_callbacks)

    assert not _reminders(open_ended).exists()
    assert not Task.objects.filter(
        contract=open_ended, kind__in=[TaskKind.REMINDER, TaskKind.ESCALATION]
    ).exists()


def test_once_the_customer_gives_notice_the_end_is_real_and_reminded(
    open_ended, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        contract_set_auto_renew(
            contract=open_ended,
            enabled=False,
            by=None,
            channel="portal",
            text="Stop",
            text_version="1",
        )

    _sweep_the_month(django_capture_on_commit_callbacks)

    assert sorted(set(_reminders(open_ended).values_list("offset_days", flat=True))) == [7, 15, 30]


def test_an_open_ended_month_opens_no_renewal_case_and_its_continuation_none_either(
    open_ended, django_capture_on_commit_callbacks
):
    assert renewal_services.renewal_cases_open_due(as_of=dt.date(2027, 3, 2)) == 0
    assert not RenewalCase.objects.filter(contract=open_ended).exists()

    # the month ends: the next one follows, with no case won (nor follow-up task) for it
    with django_capture_on_commit_callbacks(execute=True):
        report = process_contract_ends(as_of=MARCH[1])
    assert report.auto_renewed == 1
    april = Contract.objects.get(predecessor=open_ended)
    assert is_open_ended(april)
    assert not RenewalCase.objects.filter(contract=open_ended).exists()
    # the term that became open-ended keeps its (won) case
    assert RenewalCase.objects.filter(contract=open_ended.predecessor).exists()


def test_a_case_opens_when_the_customer_gave_notice(open_ended):
    contract_set_auto_renew(
        contract=open_ended, enabled=False, by=None, channel="portal", text="Stop", text_version="1"
    )
    assert renewal_services.renewal_cases_open_due(as_of=dt.date(2027, 3, 2)) == 1


def test_the_expiry_step_leaves_an_open_ended_month_that_goes_on(open_ended):
    after_the_end = dt.date(2027, 4, 1)
    assert open_ended.pk not in step_queryset("expire", after_the_end).values_list("pk", flat=True)

    contract_set_auto_renew(
        contract=open_ended, enabled=False, by=None, channel="portal", text="Stop", text_version="1"
    )
    assert open_ended.pk in step_queryset("expire", after_the_end).values_list("pk", flat=True)
    process_contract_ends(as_of=after_the_end)
    open_ended.refresh_from_db()
    assert open_ended.status == ContractStatus.EXPIRED
