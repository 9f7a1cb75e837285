"""Automatic renewal under the jurisdiction rules (lifecycle/auto_renewal.py,
lifecycle/compliance_renewal.py), over the shipped rule sets (compliance migration 0002):
a notice counts only when delivered by an accepted proof inside the window, in the
customer's calendar; otherwise the contract is held with a reason and a task; a price rise
needs its own notice or a consent; Germany renews into an open-ended contract."""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps

from contracts.models import Contract, ContractEvent, ContractStatus, PlanPrice
from contracts.services import contract_set_auto_renew
from core.models import Task
from lifecycle import auto_renewal
from lifecycle.contract_ends import process_contract_ends
from notifications.models import Message
from renewals.models import RenewalCase
from tests.factories import ContactFactory, ContractFactory, CustomerFactory, PlanFactory

S = ContractStatus
UTC = dt.UTC

pytestmark = pytest.mark.django_db


def shipped_rules_seed():
    """The shipped jurisdictions and rule sets (a transactional test elsewhere may have
    flushed what the data migration created; the seed creates only missing rows)."""
    importlib.import_module("compliance.migrations.0002_seed_jurisdictions_rulesets").seed(
        apps, None
    )


@pytest.fixture(autouse=True)
def _clock(db):
    shipped_rules_seed()
    # Consents are stamped "now": a fixed moment before every term below ends.
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, tzinfo=UTC), tick=False):
        yield


def _contract(country, *, start, end, region="", notice_days=30, monthly="500.00"):
    customer = CustomerFactory(country=country, region=region)
    ContactFactory(customer=customer)
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    contract = ContractFactory(
        customer=customer,
        plan=PlanFactory(price=Decimal(monthly)),
        start_date=start,
        end_date=end,
        total_amount=Decimal(monthly) * months,
        notice_period_days=notice_days,
    )
    contract_set_auto_renew(
        contract=contract, enabled=True, by=None, channel="portal", text="Renew", text_version="1"
    )
    contract.refresh_from_db()
    return contract


_n = iter(range(10**6))


def _notice(contract, channel="email", *, at, status="sent", provider="", read=None):
    """A renewal reminder of the contract's term: sent at ``at`` (e-mail / in-app), its
    SMS receipt at ``at`` when ``status`` is delivered, read at ``read`` (in-app)."""
    return Message.objects.create(
        customer=contract.customer,
        contract=contract,
        to_address="" if channel == "in_app" else "x@example.com",
        channel=channel,
        kind="renewal_reminder",
        template_kind="renewal_reminder",
        language="en",
        dedupe_key=f"test-notice-{next(_n)}",
        term_end=contract.end_date,
        offset_days=(contract.end_date - at.date()).days,
        status=status,
        provider=provider,
        sent_at=at,
        delivered_at=at if status == "delivered" else None,
        read_at=read,
    )


def _local(day, zone, hour=10):
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo(zone))


def _run(contract):
    report = process_contract_ends(as_of=contract.end_date)
    contract.refresh_from_db()
    return report


def _held(contract):
    return ContractEvent.objects.filter(contract=contract, kind=auto_renewal.HELD).first()


# --- France: 1 to 3 months before the deadline to refuse --------------------------------

FR_START, FR_END = dt.date(2027, 1, 1), dt.date(2027, 12, 31)
# Refusal deadline: 31 Dec − 30 days = 1 Dec; window 1 Sep .. 1 Nov 2027.


def test_a_french_notice_sent_30_days_before_the_end_is_too_late_and_the_contract_is_held():
    contract = _contract("FR", start=FR_START, end=FR_END)
    _notice(contract, at=_local(FR_END - dt.timedelta(days=30), "Europe/Paris"))

    report = _run(contract)

    assert (report.auto_renewed, report.auto_renew_blocked) == (0, 1)
    assert not Contract.objects.filter(predecessor=contract).exists()
    held = _held(contract)
    assert held is not None and "2027-09-01" in held.reason and "2027-11-01" in held.reason
    assert held.payload["term_end"] == "2027-12-31" and "FR v1" in held.payload["rules"]
    task = Task.objects.get(contract=contract, dedupe_key=f"auto-renew-blocked:{contract.pk}")
    assert "2027-11-01" in task.details
    assert RenewalCase.objects.get(contract=contract).flag

    # a second run the same day writes no second event or task
    _run(contract)
    assert ContractEvent.objects.filter(contract=contract, kind=auto_renewal.HELD).count() == 1
    assert Task.objects.filter(contract=contract).count() == 1


def test_a_french_notice_inside_the_window_renews():
    contract = _contract("FR", start=FR_START, end=FR_END)
    _notice(contract, at=_local(dt.date(2027, 11, 1), "Europe/Paris", hour=23))

    assert _run(contract).auto_renewed == 1
    assert _held(contract) is None


def test_the_window_is_read_in_the_customers_calendar():
    # 1 Nov 2027 23:30 UTC is already 2 Nov in Paris: one day too late.
    contract = _contract("FR", start=FR_START, end=FR_END)
    _notice(contract, at=dt.datetime(2027, 11, 1, 23, 30, tzinfo=UTC))
    assert _run(contract).auto_renew_blocked == 1


def test_a_french_notice_sent_too_early_does_not_count():
    contract = _contract("FR", start=FR_START, end=FR_END)
    _notice(contract, at=_local(dt.date(2027, 8, 31), "Europe/Paris"))
    assert _run(contract).auto_renew_blocked == 1


# --- China: at least 5 days before -------------------------------------------------------


@pytest.mark.parametrize(
    ("end", "last_day"),
    [
        (dt.date(2027, 2, 28), dt.date(2027, 2, 23)),
        (dt.date(2028, 2, 29), dt.date(2028, 2, 24)),
        (dt.date(2028, 3, 3), dt.date(2028, 2, 27)),
    ],
)
def test_a_chinese_notice_counts_up_to_5_days_before_the_end(end, last_day):
    on_time = _contract("CN", start=end - dt.timedelta(days=364), end=end)
    _notice(on_time, at=_local(last_day, "Asia/Shanghai", hour=23))
    late = _contract("CN", start=on_time.start_date, end=end)
    _notice(late, at=_local(last_day + dt.timedelta(days=1), "Asia/Shanghai", hour=0))

    report = process_contract_ends(as_of=end)

    assert (report.auto_renewed, report.auto_renew_blocked) == (1, 1)
    assert Contract.objects.filter(predecessor=on_time).exists()
    assert _held(late) is not None


# --- what counts as delivered -------------------------------------------------------------


def test_a_console_sms_never_counts_but_an_sms_with_a_receipt_does():
    end = dt.date(2027, 6, 30)
    start = dt.date(2026, 7, 1)
    console = _contract("CN", start=start, end=end)
    _notice(console, "sms", at=_local(dt.date(2027, 6, 1), "Asia/Shanghai"), provider="console")
    awaiting = _contract("CN", start=start, end=end)
    _notice(awaiting, "sms", at=_local(dt.date(2027, 6, 1), "Asia/Shanghai"), provider="aliyun")
    receipt = _contract("CN", start=start, end=end)
    _notice(
        receipt,
        "sms",
        at=_local(dt.date(2027, 6, 1), "Asia/Shanghai"),
        status="delivered",
        provider="aliyun",
    )

    report = process_contract_ends(as_of=end)

    assert (report.auto_renewed, report.auto_renew_blocked) == (1, 2)
    assert Contract.objects.filter(predecessor=receipt).exists()
    assert _held(console) and _held(awaiting)


def test_a_portal_message_counts_once_read_inside_the_window():
    end, start = dt.date(2027, 6, 30), dt.date(2026, 7, 1)
    unread = _contract("CN", start=start, end=end)
    _notice(unread, "in_app", at=_local(dt.date(2027, 6, 1), "Asia/Shanghai"))
    read_late = _contract("CN", start=start, end=end)
    _notice(
        read_late,
        "in_app",
        at=_local(dt.date(2027, 6, 1), "Asia/Shanghai"),
        read=_local(dt.date(2027, 6, 28), "Asia/Shanghai"),
    )
    read = _contract("CN", start=start, end=end)
    _notice(
        read,
        "in_app",
        at=_local(dt.date(2027, 6, 1), "Asia/Shanghai"),
        read=_local(dt.date(2027, 6, 2), "Asia/Shanghai"),
    )

    report = process_contract_ends(as_of=end)

    assert (report.auto_renewed, report.auto_renew_blocked) == (1, 2)
    assert Contract.objects.filter(predecessor=read).exists()


def test_an_undelivered_sms_does_not_count():
    end, start = dt.date(2027, 6, 30), dt.date(2026, 7, 1)
    contract = _contract("CN", start=start, end=end)
    _notice(contract, "sms", at=_local(dt.date(2027, 6, 1), "Asia/Shanghai"), status="undelivered")
    assert _run(contract).auto_renew_blocked == 1


# --- California: 15 to 45 days before for terms of a year or more; price changes ----------

CA_START, CA_END = dt.date(2026, 9, 1), dt.date(2027, 8, 31)


def test_a_californian_annual_term_needs_its_notice_15_to_45_days_before():
    late = _contract("US", region="US-CA", start=CA_START, end=CA_END)
    _notice(late, at=_local(CA_END - dt.timedelta(days=10), "America/Los_Angeles"))
    on_time = _contract("US", region="US-CA", start=CA_START, end=CA_END)
    _notice(on_time, at=_local(CA_END - dt.timedelta(days=20), "America/Los_Angeles"))

    report = process_contract_ends(as_of=CA_END)

    assert (report.auto_renewed, report.auto_renew_blocked) == (1, 1)
    assert Contract.objects.filter(predecessor=on_time).exists()


def test_a_californian_six_month_term_has_no_window():
    contract = _contract("US", region="US-CA", start=dt.date(2027, 3, 1), end=CA_END)
    _notice(contract, at=_local(CA_END - dt.timedelta(days=3), "America/Los_Angeles"))
    assert _run(contract).auto_renewed == 1


def _price_rise(contract):
    PlanPrice.objects.create(
        plan=contract.plan, price=Decimal("550.00"), effective_from=dt.date(2027, 6, 1)
    )


def test_a_price_rise_needs_a_notice_inside_the_price_change_window():
    # The ARL window is 17 Jul .. 16 Aug; the price-change one 2 Aug .. 25 Aug.
    early = _contract("US", region="US-CA", start=CA_START, end=CA_END)
    _price_rise(early)
    _notice(early, at=_local(dt.date(2027, 7, 20), "America/Los_Angeles"))
    both = _contract("US", region="US-CA", start=CA_START, end=CA_END)
    _price_rise(both)
    _notice(both, at=_local(dt.date(2027, 8, 10), "America/Los_Angeles"))

    report = process_contract_ends(as_of=CA_END)

    assert (report.auto_renewed, report.auto_renew_blocked) == (1, 1)
    held = _held(early)
    assert held is not None and "500.00" in held.reason and "550.00" in held.reason
    assert Contract.objects.get(predecessor=both).total_amount == Decimal("6600.00")


def test_a_consent_given_after_the_price_window_opened_is_enough():
    contract = _contract("US", region="US-CA", start=CA_START, end=CA_END)
    _price_rise(contract)
    _notice(contract, at=_local(dt.date(2027, 7, 20), "America/Los_Angeles"))
    with time_machine.travel(dt.datetime(2027, 8, 20, 18, tzinfo=UTC), tick=False):
        contract_set_auto_renew(
            contract=contract,
            enabled=True,
            by=None,
            channel="portal",
            text="Renew at 550 a month",
            text_version="2",
        )
    assert _run(contract).auto_renewed == 1


def test_a_price_cut_needs_no_notice_of_its_own():
    contract = _contract("US", region="US-CA", start=CA_START, end=CA_END)
    PlanPrice.objects.create(
        plan=contract.plan, price=Decimal("450.00"), effective_from=dt.date(2027, 6, 1)
    )
    _notice(contract, at=_local(dt.date(2027, 7, 20), "America/Los_Angeles"))
    assert _run(contract).auto_renewed == 1


# --- Germany: after the initial term, open-ended -------------------------------------------


def test_a_german_contract_renews_into_an_open_ended_one(django_capture_on_commit_callbacks):
    start, end = dt.date(2026, 3, 1), dt.date(2027, 2, 28)
    contract = _contract("DE", start=start, end=end)
    _notice(contract, at=_local(dt.date(2027, 2, 1), "Europe/Berlin"))

    with django_capture_on_commit_callbacks(execute=True):
        assert _run(contract).auto_renewed == 1

    successor = Contract.objects.get(predecessor=contract)
    assert (successor.start_date, successor.end_date) == (dt.date(2027, 3, 1), dt.date(2027, 3, 31))
    assert successor.notice_period_days == 0 and successor.billing_period == "monthly"
    assert successor.total_amount == Decimal("500.00")
    assert auto_renewal.is_open_ended(successor)
    event = ContractEvent.objects.get(contract=successor, kind=auto_renewal.OPEN_ENDED)
    assert event.payload == {"notice_months": 1, "predecessor": contract.number}
    assert Message.objects.filter(customer=contract.customer, kind="auto_renewal_open_ended")

    # The open-ended contract goes on month by month, without a notice of its own.
    with django_capture_on_commit_callbacks(execute=True):
        process_contract_ends(as_of=dt.date(2027, 3, 1))
        report = process_contract_ends(as_of=dt.date(2027, 3, 31))
    assert report.auto_renewed == 1
    following = Contract.objects.get(predecessor=successor)
    assert (following.start_date, following.end_date) == (dt.date(2027, 4, 1), dt.date(2027, 4, 30))
    assert auto_renewal.is_open_ended(following)
    # The customer is told once, when it became open-ended.
    assert (
        Message.objects.filter(customer=contract.customer, kind="auto_renewal_open_ended")
        .values("contract")
        .distinct()
        .count()
        == 1
    )


def test_a_german_contract_without_any_delivered_notice_is_held():
    contract = _contract("DE", start=dt.date(2026, 3, 1), end=dt.date(2027, 2, 28))
    _notice(contract, "sms", at=_local(dt.date(2027, 2, 1), "Europe/Berlin"), provider="console")
    assert _run(contract).auto_renew_blocked == 1
    assert "counted" in _held(contract).reason


# --- the rules kept per contract -----------------------------------------------------------


def test_the_rules_of_the_signing_day_are_kept_and_an_automatic_successor_gets_its_own(
    django_capture_on_commit_callbacks,
):
    from compliance.models import ContractRules

    contract = _contract("CN", start=dt.date(2026, 7, 1), end=dt.date(2027, 6, 30))
    _notice(contract, at=_local(dt.date(2027, 6, 1), "Asia/Shanghai"))
    with django_capture_on_commit_callbacks(execute=True):
        _run(contract)
    successor = Contract.objects.get(predecessor=contract)
    captured = ContractRules.objects.get(contract=successor)
    assert captured.resolved_on == dt.date(2027, 7, 1)
    assert captured.country == "CN"
