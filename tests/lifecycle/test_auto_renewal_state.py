"""What the contract pages are told about a held or open-ended automatic renewal
(lifecycle/auto_renewal_state.py), over the real auto-renewal and the shipped rules."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from contracts.models import Contract, ContractStatus
from lifecycle.auto_renewal import OPEN_ENDED
from lifecycle.auto_renewal_state import auto_renewal_state
from tests.lifecycle.test_compliance_renewal import (
    UTC,
    _contract,
    _local,
    _notice,
    _run,
    shipped_rules_seed,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock(db):
    shipped_rules_seed()
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, tzinfo=UTC), tick=False):
        yield


def test_a_held_renewal_is_shown_with_its_reason_and_task_until_a_successor_takes_over():
    contract = _contract("FR", start=dt.date(2027, 1, 1), end=dt.date(2027, 12, 31))
    _notice(contract, at=_local(dt.date(2027, 12, 1), "Europe/Paris"))
    _run(contract)

    state = auto_renewal_state(contract)
    assert state is not None and state.held and not state.open_ended
    assert "2027-11-01" in state.reason
    assert state.task is not None and state.task.assignee == contract.customer.account_manager

    # Renewed by hand after all: nothing to show any more.
    successor = _contract("FR", start=dt.date(2028, 1, 1), end=dt.date(2028, 12, 31))
    Contract.objects.filter(pk=successor.pk).update(predecessor=contract)
    assert auto_renewal_state(contract) is None


def test_a_hold_of_an_earlier_term_or_on_a_void_contract_is_not_shown():
    contract = _contract("FR", start=dt.date(2027, 1, 1), end=dt.date(2027, 12, 31))
    _notice(contract, at=_local(dt.date(2027, 12, 1), "Europe/Paris"))
    _run(contract)
    Contract.objects.filter(pk=contract.pk).update(end_date=dt.date(2028, 1, 31))
    contract.refresh_from_db()
    assert auto_renewal_state(contract) is None  # the event names another term's end
    Contract.objects.filter(pk=contract.pk).update(
        end_date=dt.date(2027, 12, 31), status=ContractStatus.VOID
    )
    contract.refresh_from_db()
    assert auto_renewal_state(contract) is None


def test_an_open_ended_continuation_says_its_notice_and_a_renewed_one_nothing():
    contract = _contract("DE", start=dt.date(2026, 3, 1), end=dt.date(2027, 2, 28))
    _notice(contract, at=_local(dt.date(2027, 2, 1), "Europe/Berlin"))
    assert _run(contract).auto_renewed == 1
    successor = Contract.objects.get(predecessor=contract)

    state = auto_renewal_state(successor)
    assert state is not None and state.kind == OPEN_ENDED and state.notice_months == 1
    assert auto_renewal_state(contract) is None  # the initial term itself: no block
