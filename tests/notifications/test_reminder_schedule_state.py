"""The reminder schedule as state (ReminderSchedule.due_on): its value at month ends, on
leap days and across daylight-saving changes, how every change that moves it keeps it
right, and that the sweep reading it sends exactly the due reminders, once."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine

from contracts.models import Contract, ContractStatus
from lifecycle.reminder_sweep import reminders_sweep
from notifications.models import Message, ReminderRule
from notifications.reminders.schedule_state import (
    UNSCHEDULED,
    reminder_schedule_due_on,
    reminder_schedule_on_contract_event,
    reminder_schedule_recompute,
    reminder_schedule_refresh,
)
from tests.factories import ContractFactory, CustomerFactory

from .conftest import AS_OF

D = dt.date


def schedule_of(contract: Contract) -> dt.date | None:
    return reminder_schedule_due_on(contract.pk)


def sent(contract: Contract) -> list[tuple[int, bool]]:
    return list(
        Message.objects.filter(contract=contract, kind="renewal_reminder")
        .order_by("-offset_days")
        .values_list("offset_days", "late")
    )


@pytest.fixture
def ending(make_contract):
    """An active contract ending on ``end``, its schedule computed on ``today``."""

    def make(end: dt.date, *, today: dt.date, **kwargs) -> Contract:
        contract = make_contract((end - today).days, as_of=today, **kwargs)
        reminder_schedule_refresh(contract, as_of=today)
        return contract

    return make


def test_a_new_contract_is_unscheduled_until_worked_out(make_contract):
    # given a contract inserted directly (an import, a factory, raw SQL)
    contract = make_contract(40)

    # then the database marked it for the next sweep, and its value is the 30-day mark
    assert schedule_of(contract) == UNSCHEDULED
    reminder_schedule_refresh(contract, as_of=AS_OF)
    assert schedule_of(contract) == contract.end_date - dt.timedelta(days=30)


@pytest.mark.parametrize(
    ("end", "thirty", "fifteen", "seven"),
    [
        (D(2026, 3, 31), D(2026, 3, 1), D(2026, 3, 16), D(2026, 3, 24)),
        (D(2026, 3, 1), D(2026, 1, 30), D(2026, 2, 14), D(2026, 2, 22)),
        (D(2026, 12, 31), D(2026, 12, 1), D(2026, 12, 16), D(2026, 12, 24)),
        (D(2027, 1, 31), D(2027, 1, 1), D(2027, 1, 16), D(2027, 1, 24)),
        # leap years: 29 February is a reminder day, or the end
        (D(2028, 3, 30), D(2028, 2, 29), D(2028, 3, 15), D(2028, 3, 23)),
        (D(2028, 2, 29), D(2028, 1, 30), D(2028, 2, 14), D(2028, 2, 22)),
        (D(2027, 3, 29), D(2027, 2, 27), D(2027, 3, 14), D(2027, 3, 22)),
    ],
)
def test_each_sweep_moves_the_schedule_to_the_next_offset_across_month_ends_and_leap_days(
    ending, end, thirty, fifteen, seven
):
    contract = ending(end, today=thirty - dt.timedelta(days=5))
    assert schedule_of(contract) == thirty

    # the day before each mark nothing is read; on the mark its reminder goes out
    for mark, after in ((thirty, fifteen), (fifteen, seven), (seven, None)):
        assert reminders_sweep(as_of=mark - dt.timedelta(days=1)).contracts_seen == 0
        summary = reminders_sweep(as_of=mark)
        assert summary.created == 1 and summary.late == 0
        assert schedule_of(contract) == after

    assert sent(contract) == [(30, False), (15, False), (7, False)]


@pytest.mark.parametrize(
    ("zone", "change_day"),
    [
        ("Europe/Berlin", D(2026, 3, 29)),
        ("Europe/Berlin", D(2026, 10, 25)),
        ("America/Los_Angeles", D(2026, 3, 8)),
        ("America/Los_Angeles", D(2026, 11, 1)),
    ],
)
def test_the_reminder_due_on_a_daylight_saving_change_goes_out_once_that_local_day(
    ending, settings, zone, change_day
):
    # given a contract whose 30-day mark is the day the clocks change
    settings.TIME_ZONE = zone
    contract = ending(change_day + dt.timedelta(days=30), today=change_day - dt.timedelta(days=2))
    assert schedule_of(contract) == change_day

    # when the sweep runs every hour from two days before to two days after (local dates)
    tz = zoneinfo.ZoneInfo(zone)
    moment = dt.datetime.combine(change_day - dt.timedelta(days=2), dt.time(0, 30), tzinfo=tz)
    first_day = None
    while moment.date() <= change_day + dt.timedelta(days=2):
        with time_machine.travel(moment, tick=False):
            if reminders_sweep().created and first_day is None:
                first_day = moment.astimezone(tz).date()
        moment = (moment.astimezone(dt.UTC) + dt.timedelta(hours=1)).astimezone(tz)

    # then its reminder went out once, on time, on the local day of the change
    assert first_day == change_day
    assert sent(contract) == [(30, False)]
    assert schedule_of(contract) == contract.end_date - dt.timedelta(days=15)


def test_moving_the_end_date_later_moves_the_schedule(ending):
    contract = ending(AS_OF + dt.timedelta(days=40), today=AS_OF)

    contract.end_date = AS_OF + dt.timedelta(days=100)
    contract.save(update_fields=["end_date"])

    assert schedule_of(contract) == UNSCHEDULED
    reminder_schedule_recompute(contract_ids=[contract.pk], as_of=AS_OF)
    assert schedule_of(contract) == AS_OF + dt.timedelta(days=70)


def test_moving_the_end_date_into_the_window_catches_up_with_one_late_reminder(ending):
    # given a contract far from its end, scheduled for its 30-day mark in two months
    contract = ending(AS_OF + dt.timedelta(days=90), today=AS_OF)

    # when its end is brought forward to 12 days away (the trigger marks it at once)
    contract.end_date = AS_OF + dt.timedelta(days=12)
    contract.save(update_fields=["end_date"])
    reminders_sweep(as_of=AS_OF)

    # then the 15-day reminder goes out late, and the 7-day mark is next
    assert sent(contract) == [(15, True)]
    assert schedule_of(contract) == contract.end_date - dt.timedelta(days=7)


def test_the_statutory_notice_is_no_part_of_the_schedule_and_goes_with_auto_renewal(ending):
    # given California's 15-45 day notice window, a rule that reminds only 7 days before,
    # and two one-year terms ending 22 days after AS_OF, one renewing automatically
    ReminderRule.objects.create(offsets="7")
    end = AS_OF + dt.timedelta(days=22)
    start = end.replace(year=end.year - 1) + dt.timedelta(days=1)
    californian = CustomerFactory(country="US", region="US-CA")
    auto = ending(end, today=AS_OF, customer=californian, start_date=start, auto_renew=True)
    manual = ending(end, today=AS_OF, customer=californian, start_date=start, auto_renew=False)

    # then both schedules hold the rule's offsets only (the customer's rules are read by
    # the statutory sweep, per contract, not folded into the rule table)
    assert schedule_of(auto) == schedule_of(manual) == end - dt.timedelta(days=7)

    reminders_sweep(as_of=AS_OF)

    # and only the automatic renewal gets its notice inside the window, on time (one per
    # channel)
    assert set(sent(auto)) == {(22, False)}
    assert sent(manual) == []
    assert schedule_of(auto) == end - dt.timedelta(days=7)


def test_a_signed_renewal_stops_the_schedule_and_a_voided_one_restarts_it(ending):
    contract = ending(AS_OF + dt.timedelta(days=20), today=AS_OF)
    reminders_sweep(as_of=AS_OF)  # the 30-day reminder, late
    assert schedule_of(contract) == contract.end_date - dt.timedelta(days=15)

    # signed: the successor's insert marks the predecessor, the reaction settles it
    successor = ContractFactory(
        customer=contract.customer,
        predecessor=contract,
        status=ContractStatus.AWAITING_PAYMENT,
        start_date=contract.end_date + dt.timedelta(days=1),
        end_date=contract.end_date + dt.timedelta(days=365),
    )
    assert schedule_of(contract) == UNSCHEDULED
    reminder_schedule_recompute(contract_ids=[successor.pk], as_of=AS_OF)
    assert schedule_of(contract) is None
    assert reminders_sweep(as_of=AS_OF + dt.timedelta(days=5)).created == 0

    # voided: the predecessor is reminded again from where it was
    successor.status = ContractStatus.VOID
    successor.save(update_fields=["status"])
    assert schedule_of(contract) == UNSCHEDULED
    reminders_sweep(as_of=AS_OF + dt.timedelta(days=6))
    assert sent(contract) == [(30, True), (15, True)]
    assert schedule_of(contract) == contract.end_date - dt.timedelta(days=7)


def test_an_ended_contract_has_no_schedule(ending):
    contract = ending(AS_OF + dt.timedelta(days=20), today=AS_OF)

    Contract.objects.filter(pk=contract.pk).update(status=ContractStatus.RENEWED)

    assert schedule_of(contract) is None


def test_a_save_of_a_stale_instance_does_not_move_the_schedule_back(ending):
    # given an instance loaded before the sweep sent the 30-day reminder
    contract = ending(AS_OF + dt.timedelta(days=30), today=AS_OF)
    stale = Contract.objects.get(pk=contract.pk)
    reminders_sweep(as_of=AS_OF)

    # when it is saved whole (every column, its old schedule included)
    stale.notice_period_days = 60
    stale.save()

    # then the schedule stays where the sweep moved it, and no reminder is sent twice
    assert schedule_of(contract) == contract.end_date - dt.timedelta(days=15)
    assert reminders_sweep(as_of=AS_OF + dt.timedelta(days=1)).contracts_seen == 0
    assert sent(contract) == [(30, False)]


@pytest.mark.django_db(transaction=True)
def test_a_change_committed_while_the_sweep_runs_keeps_its_unscheduled_mark(ending):
    import threading

    from django.db import connection, transaction

    # given a contract due today, whose end date another transaction moves (the trigger
    # marks it unscheduled) while the sweep's statement waits for that row
    contract = ending(AS_OF + dt.timedelta(days=30), today=AS_OF)
    moved = threading.Event()
    errors = []

    def move_the_end_date():
        try:
            with transaction.atomic():
                Contract.objects.filter(pk=contract.pk).update(
                    end_date=AS_OF + dt.timedelta(days=90)
                )
                moved.set()
                with connection.cursor() as cursor:
                    for _poll in range(6000):  # until the sweep waits for this row
                        cursor.execute(
                            "SELECT count(*) FROM pg_stat_activity"
                            " WHERE wait_event_type = 'Lock' AND datname = current_database()"
                        )
                        if cursor.fetchone()[0]:
                            break
                        cursor.execute("SELECT pg_sleep(0.01)")
                    else:
                        raise AssertionError("the sweep never waited for the change")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
            moved.set()
        finally:
            connection.close()

    thread = threading.Thread(target=move_the_end_date)
    thread.start()
    moved.wait()

    reminders_sweep(as_of=AS_OF)
    thread.join()

    # then the sweep did not overwrite the mark with a day worked out from the old end date
    assert not errors
    assert schedule_of(contract) == UNSCHEDULED
    # and the next sweep decides the contract by its new end date
    assert reminders_sweep(as_of=AS_OF + dt.timedelta(days=1)).contracts_seen == 1
    assert schedule_of(contract) == AS_OF + dt.timedelta(days=60)


def test_a_change_of_the_customers_tier_unschedules_its_contracts(ending):
    contract = ending(AS_OF + dt.timedelta(days=45), today=AS_OF)
    ReminderRule.objects.create(tier="A", offsets="60,30")
    reminder_schedule_recompute(as_of=AS_OF)  # the admin does this on a rule change
    assert schedule_of(contract) == contract.end_date - dt.timedelta(days=30)

    contract.customer.tier = "A"
    contract.customer.save()
    reminders_sweep(as_of=AS_OF)

    assert sent(contract) == [(60, True)]
    assert schedule_of(contract) == contract.end_date - dt.timedelta(days=30)


def test_a_rule_change_in_the_admin_recomputes_every_schedule(ending, admin_client):
    contract = ending(AS_OF + dt.timedelta(days=50), today=AS_OF)
    assert schedule_of(contract) == contract.end_date - dt.timedelta(days=30)

    with time_machine.travel(dt.datetime.combine(AS_OF, dt.time(12), tzinfo=dt.UTC)):
        response = admin_client.post(
            "/admin/notifications/reminderrule/add/",
            {"tier": "", "offsets": "45,10", "is_active": "on", "plan": ""},
        )

    assert response.status_code == 302
    assert ReminderRule.objects.filter(offsets="45,10").exists()
    assert schedule_of(contract) == contract.end_date - dt.timedelta(days=45)


def test_the_lifecycle_reaction_settles_only_what_a_change_unscheduled(ending):
    contract = ending(AS_OF + dt.timedelta(days=40), today=AS_OF)
    other = ending(AS_OF + dt.timedelta(days=40), today=AS_OF)

    Contract.objects.filter(pk=contract.pk).update(end_date=AS_OF + dt.timedelta(days=400))
    with time_machine.travel(dt.datetime.combine(AS_OF, dt.time(12), tzinfo=dt.UTC)):
        reminder_schedule_on_contract_event(type("Event", (), {"contract_id": contract.pk}))
        reminder_schedule_on_contract_event(type("Event", (), {"contract_id": other.pk}))

    assert schedule_of(contract) == AS_OF + dt.timedelta(days=370)
    assert schedule_of(other) == other.end_date - dt.timedelta(days=30)


def test_the_full_recompute_is_a_repair_that_writes_only_what_differs(make_contract):
    contracts = [make_contract(days) for days in (40, 30, 20, 15, 7, 3, -1)]

    assert reminder_schedule_recompute(as_of=AS_OF) == len(contracts)
    assert reminder_schedule_recompute(as_of=AS_OF) == 0
    assert schedule_of(contracts[-1]) is None  # ended yesterday


def test_over_a_whole_book_the_sweep_reads_only_due_rows_and_sends_each_offset_once(
    make_contract,
):
    # given contracts ending every day of the next 50 days, scheduled
    contracts = [make_contract(days) for days in range(1, 51)]
    reminder_schedule_recompute(as_of=AS_OF)
    # (the first day catches up: contracts past a mark get that mark's reminder, late)
    first = reminders_sweep(as_of=AS_OF)
    assert first.contracts_seen == first.created == 30

    # when the sweep runs every day until they have all ended, twice a day
    for day in range(1, 52):
        as_of = AS_OF + dt.timedelta(days=day)
        due = sum(1 for c in contracts if (c.end_date - as_of).days in (30, 15, 7))
        summary = reminders_sweep(as_of=as_of)
        again = reminders_sweep(as_of=as_of)

        # then it reads exactly the contracts due that day, each once
        assert summary.contracts_seen == summary.created == due
        assert (again.contracts_seen, again.created) == (0, 0)

    # then every contract got each of its remaining offsets exactly once
    for contract in contracts:
        offsets = [o for o, _late in sent(contract)]
        assert len(offsets) == len(set(offsets))
        days = (contract.end_date - AS_OF).days
        expected = [o for o in (30, 15, 7) if o < days] + (
            [min(o for o in (30, 15, 7) if o >= days)] if days <= 30 else []
        )
        assert sorted(offsets, reverse=True) == sorted(expected, reverse=True)
