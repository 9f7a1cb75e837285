"""The statutory automatic-renewal notice (notifications/reminders/statutory.py): each
auto-renewing term whose reminder offsets miss its rules' window gets one reminder inside
it, exactly once, and a notice delivered that way lets the contract renew."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.calendar import term_last_day
from compliance.rules import notice_window, refusal_deadline_for
from compliance.selectors import ruleset_for
from contracts.models import Contract
from contracts.services import contract_set_auto_renew
from lifecycle.contract_ends import process_contract_ends
from lifecycle.reminder_sweep import reminders_sweep
from notifications.models import Message
from notifications.reminders.statutory import (
    MARGIN_DAYS,
    is_statutory,
    statutory_notice_day,
    statutory_notices_sweep,
)
from notifications.services import outbox_deliver_due
from tests.factories import ContactFactory, ContractFactory, CustomerFactory, PlanFactory
from tests.lifecycle.test_compliance_renewal import UTC, shipped_rules_seed

pytestmark = pytest.mark.django_db

TIER_OFFSETS = [30, 15, 7]


@pytest.fixture(autouse=True)
def _rules(db):
    shipped_rules_seed()


def _french(start=dt.date(2027, 1, 1), end=dt.date(2027, 12, 31)):
    customer = CustomerFactory(country="FR")
    ContactFactory(customer=customer)
    contract = ContractFactory(
        customer=customer,
        plan=PlanFactory(price=Decimal("500.00")),
        start_date=start,
        end_date=end,
        total_amount=Decimal("6000.00"),
        notice_period_days=30,
    )
    contract_set_auto_renew(
        contract=contract, enabled=True, by=None, channel="portal", text="Renew", text_version="1"
    )
    return contract


def test_a_french_term_gets_its_statutory_notice_inside_the_window_once():
    # Window 1 Sep .. 1 Nov 2027 (the deadline to refuse is 1 Dec): none of 30/15/7 days
    # before 31 Dec is in it, so the notice goes out on 25 Oct (1 Nov − 7 days).
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, tzinfo=UTC), tick=False):
        contract = _french()
    day = dt.date(2027, 10, 25)

    assert statutory_notices_sweep(as_of=day - dt.timedelta(days=1)) == 0
    with time_machine.travel(dt.datetime(2027, 10, 25, 8, tzinfo=UTC), tick=False):
        summary = reminders_sweep(as_of=day)
        assert summary.statutory == 2  # e-mail and the portal inbox (the default channels)
        assert reminders_sweep(as_of=day).statutory == 0  # a rerun adds nothing
        assert statutory_notices_sweep(as_of=day + dt.timedelta(days=1)) == 0
        outbox_deliver_due()

    notice = Message.objects.get(contract=contract, kind="renewal_reminder", channel="email")
    assert is_statutory(notice) and not notice.late
    assert notice.offset_days == (contract.end_date - day).days == 67
    assert notice.context["window"] == ["2027-09-01", "2027-11-01"]
    assert notice.status == "sent"

    # Delivered inside the window: the contract renews at its end.
    report = process_contract_ends(as_of=contract.end_date)
    assert report.auto_renewed == 1 and Contract.objects.filter(predecessor=contract).exists()


def test_a_contract_first_seen_late_gets_its_notice_at_once_marked_late():
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, tzinfo=UTC), tick=False):
        contract = _french()
    assert statutory_notices_sweep(as_of=dt.date(2027, 10, 30)) == 2
    notice = Message.objects.get(contract=contract, kind="renewal_reminder", channel="email")
    assert notice.late and notice.offset_days == 67 and notice.context["days_left"] == 62


def test_no_statutory_notice_once_the_window_closed_or_when_the_offsets_fit():
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, tzinfo=UTC), tick=False):
        _french()
        chinese = ContractFactory(
            customer=CustomerFactory(country="CN"),
            start_date=dt.date(2027, 1, 1),
            end_date=dt.date(2027, 12, 31),
        )
        contract_set_auto_renew(
            contract=chinese, enabled=True, by=None, channel="portal", text="R", text_version="1"
        )
    assert statutory_notices_sweep(as_of=dt.date(2027, 11, 2)) == 0
    for day in (dt.date(2027, 12, 20), dt.date(2027, 12, 24)):
        assert statutory_notices_sweep(as_of=day) == 0


def test_a_customer_without_email_or_sms_gets_it_in_the_portal():
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, tzinfo=UTC), tick=False):
        contract = _french()
    contract.customer.contacts.update(email="")
    statutory_notices_sweep(as_of=dt.date(2027, 10, 25))
    assert list(Message.objects.filter(contract=contract).values_list("channel", flat=True)) == [
        "in_app"
    ]


# --- the window guarantee, over term dates ------------------------------------------------


def test_every_term_gets_a_notice_inside_its_window():
    """Whatever the term (month ends, leap days), its notice period and the reminder
    offsets, the days the schedule sends on (each offset's, plus the statutory one) include
    one inside each non-empty window: France, China, California."""
    places = {
        "FR": ruleset_for(("FR", ""), on=dt.date(2027, 1, 1)),
        "CN": ruleset_for(("CN", ""), on=dt.date(2027, 1, 1)),
        "US-CA": ruleset_for(("US", "US-CA"), on=dt.date(2027, 1, 1)),
    }

    @settings(max_examples=300, deadline=None)
    @given(
        place=st.sampled_from(sorted(places)),
        start=st.dates(dt.date(2024, 1, 1), dt.date(2030, 12, 31)),
        months=st.sampled_from([1, 3, 6, 11, 12, 13, 24, 36]),
        notice_days=st.integers(0, 90),
        offsets=st.lists(st.integers(1, 120), min_size=1, max_size=4, unique=True),
    )
    def check(place, start, months, notice_days, offsets):
        rules = places[place]
        end = term_last_day(start, months)
        window = notice_window(rules, start, end, refusal_deadline_for(end, notice_days))
        day = statutory_notice_day(window, offsets, end)
        if window is None or window.is_empty:
            assert day is None
            return
        sends = [end - dt.timedelta(days=o) for o in offsets]
        if day is not None:
            assert window.contains(day)
            # as late as the margin allows, never before the window opens
            assert day <= window.latest - dt.timedelta(days=MARGIN_DAYS) or day == (window.earliest)
            sends.append(day)
        assert any(window.contains(d) for d in sends)

    check()


@pytest.mark.parametrize(
    ("end", "expected"),
    [
        # Deadline 29 Feb 2028 (leap): window 29 Nov 2027 .. 29 Jan 2028, notice 22 Jan.
        (dt.date(2028, 3, 30), dt.date(2028, 1, 22)),
        # Deadline 31 Mar 2027: 1 month before clamps to 28 Feb; notice 21 Feb.
        (dt.date(2027, 4, 30), dt.date(2027, 2, 21)),
    ],
)
def test_french_windows_at_month_ends_and_leap_days(end, expected):
    rules = ruleset_for(("FR", ""), on=dt.date(2027, 1, 1))
    start = dt.date(end.year - 1, end.month, 1)
    window = notice_window(rules, start, end, refusal_deadline_for(end, 30))
    assert statutory_notice_day(window, TIER_OFFSETS, end) == expected
