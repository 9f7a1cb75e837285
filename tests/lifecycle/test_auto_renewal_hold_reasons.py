"""A held automatic renewal says why it was held, for the cause it had (no notice, a notice
not in time, a price rise) and in each reader's language: the reasons are kept as codes in
the held event (lifecycle/compliance_renewal.py ``hold_reason_text``), the manager's task
is written in the manager's language, the case's flag is shown in the reader's."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import translation

from contracts.models import ContractEvent
from core.models import Task
from lifecycle import auto_renewal, compliance_renewal
from lifecycle.auto_renewal_state import auto_renewal_state, event_reason_text
from notifications.models import Message
from renewals.models import RenewalCase
from renewals.templatetags.renewals_tags import action_text
from tests.lifecycle.test_compliance_renewal import (
    UTC,
    _contract,
    _local,
    _notice,
    _price_rise,
    _run,
    shipped_rules_seed,
)

pytestmark = pytest.mark.django_db

FR_START, FR_END = dt.date(2027, 1, 1), dt.date(2027, 12, 31)  # window 1 Sep .. 1 Nov 2027
CA_START, CA_END = dt.date(2026, 9, 1), dt.date(2027, 8, 31)  # ARL window 17 Jul .. 16 Aug


@pytest.fixture(autouse=True)
def _clock(db):
    shipped_rules_seed()
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, tzinfo=UTC), tick=False):
        yield


def _task(contract):
    return Task.objects.get(contract=contract, dedupe_key=f"auto-renew-blocked:{contract.pk}")


def _held(contract):
    return ContractEvent.objects.get(contract=contract, kind=auto_renewal.HELD)


def test_a_notice_that_arrived_late_is_named_as_late_not_as_undelivered(
    django_capture_on_commit_callbacks,
):
    contract = _contract("FR", start=FR_START, end=FR_END)
    _notice(contract, at=_local(dt.date(2027, 12, 1), "Europe/Paris"))

    with django_capture_on_commit_callbacks(execute=True):
        assert _run(contract).auto_renew_blocked == 1

    held = _held(contract)
    [reason] = held.payload["hold_reasons"]
    assert reason["code"] == compliance_renewal.NOTICE_OUTSIDE_WINDOW
    assert reason["params"]["delivered"] == "2027-12-01"
    assert (reason["params"]["earliest"], reason["params"]["latest"]) == (
        "2027-09-01",
        "2027-11-01",
    )
    assert "reached the customer on 2027-12-01, outside the window" in held.reason
    task = _task(contract)
    assert "(notice not in time)" in task.title and "no delivered notice" not in task.title
    assert "2027-12-01" in task.details
    case = RenewalCase.objects.get(contract=contract)
    assert (
        case.flag == "Auto-renewal blocked: the renewal notice did not reach the customer in time."
    )
    staff = Message.objects.get(contract=contract, kind="auto_renewal_blocked_staff")
    assert "notice not in time" in staff.subject


def test_no_notice_at_all_keeps_the_no_delivered_notice_wording():
    contract = _contract("FR", start=FR_START, end=FR_END)

    _run(contract)

    [reason] = _held(contract).payload["hold_reasons"]
    assert reason["code"] == compliance_renewal.NOTICE_NOT_IN_WINDOW
    assert "(no delivered notice)" in _task(contract).title
    assert "was not delivered" in RenewalCase.objects.get(contract=contract).flag


def test_a_price_rise_hold_says_so_to_staff_and_to_the_customer(
    django_capture_on_commit_callbacks,
):
    contract = _contract("US", region="US-CA", start=CA_START, end=CA_END)
    _price_rise(contract)
    # Inside the ARL window (17 Jul .. 16 Aug), before the price-change one (2 .. 25 Aug).
    _notice(contract, at=_local(dt.date(2027, 7, 20), "America/Los_Angeles"))

    with django_capture_on_commit_callbacks(execute=True):
        assert _run(contract).auto_renew_blocked == 1

    [reason] = _held(contract).payload["hold_reasons"]
    assert reason["code"] == compliance_renewal.PRICE_RISE
    assert (reason["params"]["old"], reason["params"]["new"]) == ("500.00", "550.00")
    task = _task(contract)
    assert "(price rise without notice)" in task.title
    assert "500.00" in task.details and "550.00" in task.details
    assert "price rises" in RenewalCase.objects.get(contract=contract).flag
    customer = Message.objects.filter(contract=contract, kind="auto_renewal_blocked").first()
    assert customer is not None and "price of the next term rises" in customer.body_text
    state = auto_renewal_state(contract)
    assert state is not None and state.held and state.price_rise


def test_the_reason_is_shown_in_the_readers_language():
    contract = _contract("FR", start=FR_START, end=FR_END)
    _notice(contract, at=_local(dt.date(2027, 12, 1), "Europe/Paris"))
    _run(contract)
    held = _held(contract)
    flag = RenewalCase.objects.get(contract=contract).flag

    with translation.override("zh-hans"):
        zh_state = auto_renewal_state(contract)
        zh_event = event_reason_text(held)
        zh_flag = action_text(flag)
    with translation.override("en"):
        en_state = auto_renewal_state(contract)

    assert zh_state is not None and en_state is not None
    assert "续约通知于 2027-12-01 送达客户" in zh_state.reason and zh_state.reason == zh_event
    assert "reached the customer on 2027-12-01" in en_state.reason
    assert zh_flag == "自动续约已暂停：续约通知未及时送达客户。"


def test_the_task_is_written_in_the_managers_language():
    contract = _contract("FR", start=FR_START, end=FR_END)
    manager = contract.customer.account_manager
    manager.language = "zh-hans"
    manager.save(update_fields=["language"])

    with translation.override("en"):  # the process that holds it speaks English
        _run(contract)

    task = _task(contract)
    assert task.title.startswith(f"{contract.number} 的自动续约已暂停（通知未送达）")
    assert "之间没有续约通知送达客户" in task.details


def test_an_event_written_before_the_codes_shows_its_reason_as_written():
    contract = _contract("FR", start=FR_START, end=FR_END)
    event = ContractEvent.objects.create(
        contract=contract,
        kind=auto_renewal.HELD,
        reason="Held (old wording).",
        payload={"term_end": "2027-12-31", "reasons": ["Held (old wording)."]},
    )
    with translation.override("zh-hans"):
        assert event_reason_text(event) == "Held (old wording)."
