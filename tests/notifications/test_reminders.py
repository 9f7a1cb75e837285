from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection, transaction

import notifications.reminders.sweep as reminders_sweep_module
from contracts.models import ContractStatus, PlanPrice
from core.models import Task, TaskKind
from lifecycle.reminder_sweep import reminders_sweep
from notifications.models import Message, PersonalOffer, ReminderRule
from notifications.reminders import due_offset, reminders_sweep_run
from notifications.reminders.rules import offsets_missing_notice_windows
from notifications.reminders.schedule_state import reminder_schedule_recompute
from notifications.services import outbox_deliver_due
from tests.factories import ContractFactory, CustomerFactory, PlanFactory, StaffFactory

from .conftest import AS_OF


def portable_path(monkeypatch) -> None:
    """Make the sweep take its ORM path (the one for databases other than PostgreSQL).
    Only the sweep's choice is faked: the queries it runs still compile for PostgreSQL
    (faking the connection's vendor broke the statutory sweep's JSON lookup)."""
    monkeypatch.setattr(reminders_sweep_module, "connection", SimpleNamespace(vendor="sqlite"))


def reminders(contract=None):
    qs = Message.objects.filter(kind="renewal_reminder")
    return qs.filter(contract=contract) if contract else qs


@pytest.mark.parametrize(
    ("days_left", "expected"),
    [(31, None), (30, 30), (29, 30), (16, 30), (15, 15), (8, 15), (7, 7), (1, 7), (0, None)],
)
def test_it_picks_the_smallest_offset_not_below_the_days_left(days_left, expected):
    assert due_offset(days_left, [30, 15, 7]) == expected


def test_it_sends_one_reminder_per_channel_at_the_offset_and_a_task(make_contract):
    contract = make_contract(30, notify_in_app=True)

    summary = reminders_sweep(as_of=AS_OF)

    msgs = reminders(contract)
    assert sorted(msgs.values_list("channel", flat=True)) == ["email", "in_app"]
    assert all(m.offset_days == 30 and not m.late for m in msgs)
    assert all(m.term_end == contract.end_date for m in msgs)
    assert set(msgs.values_list("status", flat=True)) == {"pending"}
    assert outbox_deliver_due().sent == 2
    assert set(msgs.values_list("status", flat=True)) == {"sent"}
    assert summary.created == 2
    task = Task.objects.get(contract=contract)
    assert task.kind == TaskKind.REMINDER and task.assignee == contract.owner


def test_it_does_not_send_the_same_reminder_twice(make_contract):
    contract = make_contract(30)
    reminders_sweep(as_of=AS_OF)

    summary = reminders_sweep(as_of=AS_OF)

    assert reminders(contract).count() == 1
    # the first sweep moved the contract's schedule to its 15-day reminder: nothing is read
    assert summary.created == 0 and summary.contracts_seen == 0
    assert Task.objects.filter(contract=contract).count() == 1


def test_it_sends_each_offset_once_over_a_whole_term(make_contract):
    contract = make_contract(40)

    for day in range(45):
        reminders_sweep(as_of=AS_OF + dt.timedelta(days=day))

    assert sorted(reminders(contract).values_list("offset_days", flat=True)) == [7, 15, 30]
    assert not reminders(contract).filter(late=True).exists()


def test_it_catches_up_after_three_missed_days_with_only_the_latest_offset(make_contract):
    # given the scheduler was down on the 15-day mark and the two days after
    on_time = make_contract(30)
    caught_up = make_contract(12)
    reminders_sweep(as_of=AS_OF - dt.timedelta(days=18))  # the 30-day reminder went out
    ended = make_contract(12, status=ContractStatus.EXPIRED)
    renewed = make_contract(12, status=ContractStatus.RENEWED)
    terminated = make_contract(12, status=ContractStatus.TERMINATED)
    over = make_contract(-2)

    # when the next sweep runs
    reminders_sweep(as_of=AS_OF)

    # then one 15-day reminder, marked late, and nothing for the missed larger offsets
    late = reminders(caught_up).exclude(offset_days=30)
    assert list(late.values_list("offset_days", "late")) == [(15, True)]
    assert reminders(caught_up).count() == 2
    assert reminders(on_time).get().offset_days == 30
    for contract in (ended, renewed, terminated, over):
        assert not reminders(contract).exists()


def test_it_catches_up_an_imported_contract_with_one_late_reminder(make_contract):
    contract = make_contract(20)

    reminders_sweep(as_of=AS_OF)
    reminders_sweep(as_of=AS_OF + dt.timedelta(days=1))

    assert list(reminders(contract).values_list("offset_days", "late")) == [(30, True)]


def test_it_stops_reminding_once_the_renewal_is_signed(make_contract):
    contract = make_contract(15)
    ContractFactory(
        customer=contract.customer,
        predecessor=contract,
        status=ContractStatus.AWAITING_PAYMENT,
        start_date=contract.end_date + dt.timedelta(days=1),
        end_date=contract.end_date + dt.timedelta(days=365),
    )

    reminders_sweep(as_of=AS_OF)

    assert not reminders(contract).exists()


def test_it_uses_the_most_specific_rule_for_plan_and_tier(make_contract):
    plan = PlanFactory()
    ReminderRule.objects.create(tier="A", offsets="60,30")
    ReminderRule.objects.create(plan=plan, offsets="45,10")
    by_plan = make_contract(45, plan=plan)
    by_tier = make_contract(60)
    by_tier.customer.tier = "A"
    by_tier.customer.save()
    default = make_contract(45)

    reminders_sweep(as_of=AS_OF)

    assert reminders(by_plan).get().offset_days == 45
    assert reminders(by_tier).get().offset_days == 60
    assert not reminders(default).exists()


def test_it_uses_the_tier_override_and_the_plan_rule_for_each_tier_and_auto_renewal(
    make_contract,
):
    plan = PlanFactory()
    ReminderRule.objects.create(tier="A", offsets="60,30")
    ReminderRule.objects.create(plan=plan, tier="B", offsets="50")
    overridden = make_contract(60)
    overridden.customer.tier_override = "A"
    overridden.customer.save()
    plan_and_tier = make_contract(50, plan=plan, auto_renew=True)
    plan_and_tier.customer.tier = "B"
    plan_and_tier.customer.save()
    plan_other_tier = make_contract(50, plan=plan)

    reminders_sweep(as_of=AS_OF)

    assert reminders(overridden).get().offset_days == 60
    assert reminders(plan_and_tier).get().offset_days == 50
    assert not reminders(plan_other_tier).exists()


def test_it_loads_only_the_contracts_still_missing_their_due_reminder(make_contract):
    # given three contracts already reminded at their due offset and one that is not
    for days in (30, 15, 7):
        make_contract(days)
    reminders_sweep(as_of=AS_OF)
    late = make_contract(20)

    # when the next sweep runs, one day later
    summary = reminders_sweep(as_of=AS_OF + dt.timedelta(days=1))

    # then it reads only that one, by its schedule, and creates it (late, at 30 days)
    assert summary.contracts_seen == 1
    assert summary.created == 1 and summary.skipped == 0
    assert list(reminders(late).values_list("offset_days", "late")) == [(30, True)]


def test_it_sends_every_due_reminder_across_several_batches(make_contract):
    contracts = [make_contract(days) for days in (30, 29, 20, 15, 12, 7, 3)]
    make_contract(31)
    reminder_schedule_recompute(as_of=AS_OF)  # as the lifecycle does on creation

    summary = reminders_sweep(as_of=AS_OF, batch_size=2)

    assert summary.contracts_seen == 7 and summary.created == 7
    for contract in contracts:
        assert reminders(contract).count() == 1
    assert Task.objects.filter(kind=TaskKind.REMINDER).count() == 7


def test_it_leaves_the_connections_planner_settings_as_it_found_them(make_contract):
    make_contract(30)
    with connection.cursor() as cursor:
        cursor.execute("SHOW cursor_tuple_fraction")
        before = cursor.fetchone()[0]

    reminders_sweep(as_of=AS_OF)

    with connection.cursor() as cursor:
        cursor.execute("SHOW cursor_tuple_fraction")
        assert cursor.fetchone()[0] == before


@pytest.mark.parametrize(
    ("country", "region", "expected"),
    [
        # California: notice 15-45 days before a term of a year or more; the rule's 7-day
        # reminder misses it, so the notice goes out on its last day minus the margin
        ("US", "US-CA", [(22, True)]),
        # China: at least 5 days before, no earliest day: the 7-day reminder is in it
        ("CN", "", []),
    ],
)
def test_the_notice_window_comes_from_the_customers_rules_not_the_reminder_rule(
    make_contract, country, region, expected
):
    # given a reminder rule that only reminds 7 days before, and an auto-renewing
    # one-year term ending 22 days after AS_OF
    ReminderRule.objects.create(offsets="7")
    end = AS_OF + dt.timedelta(days=22)
    contract = make_contract(
        22,
        customer=CustomerFactory(country=country, region=region),
        start_date=end.replace(year=end.year - 1) + dt.timedelta(days=1),
        auto_renew=True,
    )

    reminders_sweep(as_of=AS_OF)

    # then only a customer whose rules' window the offsets miss gets a notice, inside it
    got = [
        (m.offset_days, bool(m.context.get("statutory")))
        for m in reminders(contract).filter(channel="email")
    ]
    assert got == expected
    if expected:
        assert not reminders(contract).first().late


def test_a_rule_that_misses_a_notice_window_is_saved_with_a_warning(admin_client):
    # given France's window (1-3 months before the deadline to refuse) and California's
    # (15-45 days): reminders 7 and 3 days before fall in neither
    response = admin_client.post(
        "/admin/notifications/reminderrule/add/",
        {"tier": "", "offsets": "7,3", "is_active": "on", "plan": ""},
        follow=True,
    )

    # then the rule is saved (the statutory sweep covers those customers) and staff are
    # told which rule sets it misses
    assert ReminderRule.objects.filter(offsets="7,3").exists()
    warnings = [str(m) for m in response.context["messages"] if m.level_tag == "warning"]
    assert len(warnings) == 1
    assert "FR v1" in warnings[0] and "US-CA v" in warnings[0] and "CN" not in warnings[0]


def test_the_missed_windows_are_those_of_the_rule_sets_in_force_that_day(db):
    # CN wants at least 5 days before the end, US-CA 15-45 days, FR 1-3 months (one-year
    # terms starting that day)
    assert offsets_missing_notice_windows([30, 15, 7], on=dt.date(2026, 6, 1)) == ["FR v1"]
    assert offsets_missing_notice_windows([60], on=dt.date(2026, 6, 1)) == ["US-CA v2"]
    assert offsets_missing_notice_windows([3], on=dt.date(2026, 6, 1)) == [
        "CN v2",
        "FR v1",
        "US-CA v2",
    ]
    # the versions in force that day: before 1 July 2024 (CN) and 1 July 2025 (US-CA)
    assert offsets_missing_notice_windows([3], on=dt.date(2024, 1, 1)) == [
        "CN v1",
        "FR v1",
        "US-CA v1",
    ]


def test_it_writes_the_content_the_customer_needs(make_contract, settings):
    settings.SITE_URL = "https://renew.example.com"
    plan = PlanFactory(price=Decimal("1000.00"), name="Cloud Storage Pro")
    PlanPrice.objects.create(plan=plan, price=Decimal("1100.00"), effective_from=AS_OF)
    contract = make_contract(
        30, plan=plan, total_amount=Decimal("12000.00"), start_date=dt.date(2025, 7, 2)
    )
    contract.auto_renew = True
    contract.save()
    contract.owner.phone = "+86 10 1234 5678"
    contract.owner.save()
    PersonalOffer.objects.create(tier="A", language="en", title="Your loyalty offer", body="10%")
    contract.customer.tier = "A"
    contract.customer.save()

    reminders_sweep(as_of=AS_OF)
    outbox_deliver_due()

    body = reminders(contract).get().body_text
    html = reminders(contract).get().body_html
    assert contract.number in body
    assert "Cloud Storage Pro" in body
    assert "1 Jul 2026" in body  # ends on
    assert "CNY 1,100.00" in body and "CNY 100.00 more" in body  # 12000 / 12 months = 1000
    assert "renews automatically on 2 Jul 2026" in body
    for purpose in ("renew", "change", "cancel", "auto_renew_off"):
        assert f"https://renew.example.com/portal/act/{purpose}/" in body
        assert f"/portal/act/{purpose}/" in html
    assert "+86 10 1234 5678" in body
    assert "Your loyalty offer" in body


def test_it_writes_the_reminder_in_the_customers_language(make_contract):
    contract = make_contract(30, language="zh-hans")

    reminders_sweep(as_of=AS_OF)
    outbox_deliver_due()

    message = reminders(contract).get()
    assert message.language == "zh-hans"
    assert "合同" in message.subject


def test_it_escalates_to_the_team_lead_when_the_customer_has_not_answered(make_contract):
    lead = StaffFactory()
    manager = StaffFactory(team_lead=lead)
    contract = make_contract(7, manager=manager)

    reminders_sweep(as_of=AS_OF)
    reminders_sweep(as_of=AS_OF + dt.timedelta(days=1))

    escalation = Task.objects.get(contract=contract, kind=TaskKind.ESCALATION)
    assert escalation.assignee == lead


def test_it_does_not_escalate_at_larger_offsets(make_contract):
    contract = make_contract(15, manager=StaffFactory(team_lead=StaffFactory()))

    reminders_sweep(as_of=AS_OF)

    assert not Task.objects.filter(contract=contract, kind=TaskKind.ESCALATION).exists()


def test_it_still_leaves_a_legal_notice_in_the_inbox_when_every_channel_is_off(make_contract):
    contract = make_contract(30, notify_email=False)

    reminders_sweep(as_of=AS_OF)

    assert list(reminders(contract).values_list("channel", flat=True)) == ["in_app"]


def test_it_reads_due_contracts_in_a_number_of_queries_independent_of_their_count(make_contract):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for_a_sweep(days_list, as_of):
        for days in days_list:
            make_contract(days, as_of=as_of)
        with CaptureQueriesContext(connection) as ctx:
            reminders_sweep(as_of=as_of)
        return len(ctx.captured_queries)

    # (escalations at 7 days ask the renewals read once per sweep)
    few = queries_for_a_sweep([30, 15, 12], AS_OF)
    many = queries_for_a_sweep([30, 30, 15, 15, 12, 20, 25] * 3, AS_OF + dt.timedelta(days=100))

    assert many == few


def test_it_sends_each_reminder_once_across_daylight_saving_changes_in_berlin(
    make_contract, settings
):
    import time_machine

    settings.TIME_ZONE = "Europe/Berlin"
    spring = make_contract(30, as_of=dt.date(2026, 3, 28))
    autumn = make_contract(15, as_of=dt.date(2026, 10, 24))
    from django.utils import timezone

    for start in (dt.datetime(2026, 3, 28, 0, 30), dt.datetime(2026, 10, 24, 0, 30)):
        moment = start.replace(tzinfo=dt.UTC)
        for _hour in range(72):
            with time_machine.travel(moment, tick=False):
                reminders_sweep()
                assert (
                    timezone.localdate()
                    == moment.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Berlin")).date()
                )
            moment += dt.timedelta(hours=1)

    assert list(reminders(spring).values_list("offset_days", "late")) == [(30, False)]
    assert list(reminders(autumn).values_list("offset_days", "late")) == [(15, False)]


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_create_each_reminder_once(make_contract, smtp_server):
    from notifications.services import outbox_deliver_due

    contracts = [make_contract(days) for days in (30, 15, 7, 10, 30)]
    barrier = threading.Barrier(2)
    errors = []

    def sweep():
        try:
            barrier.wait()
            reminders_sweep(as_of=AS_OF)
            outbox_deliver_due()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert not errors
    for contract in contracts:
        assert reminders(contract).count() == 1
        assert reminders(contract).get().status == "sent"
    assert len(smtp_server.messages) == len(contracts)
    assert Task.objects.filter(kind=TaskKind.REMINDER).count() == len(contracts)


def test_it_does_not_escalate_when_the_customer_has_responded(make_contract):
    from django.utils import timezone

    from renewals.models import Intent, RenewalCase, Stage

    contract = make_contract(7, manager=StaffFactory(team_lead=StaffFactory()))
    RenewalCase.objects.create(
        contract=contract,
        stage=Stage.RESPONDED,
        intent=Intent.RENEW_AS_IS,
        opened_at=timezone.now(),
    )

    reminders_sweep(as_of=AS_OF)

    assert not Task.objects.filter(contract=contract, kind=TaskKind.ESCALATION).exists()


def test_it_asks_the_response_read_it_is_given_once_for_the_contracts_near_their_end(
    make_contract,
):
    answered = make_contract(7)
    silent = make_contract(7)
    make_contract(30)
    asked = []

    def customer_responded(contract_ids):
        asked.append(sorted(contract_ids))
        return [answered.pk]

    reminders_sweep_run(as_of=AS_OF, customer_responded=customer_responded)

    assert asked == [sorted([answered.pk, silent.pk])]
    escalated = set(
        Task.objects.filter(kind=TaskKind.ESCALATION).values_list("contract_id", flat=True)
    )
    assert escalated == {silent.pk}


# Honest counts (issue #13, item 16): a summary reports the rows this run wrote.


@pytest.fixture
def late_and_escalated(make_contract):
    """A contract caught up late (30-day reminder at 20 days) and one whose 7-day reminder
    escalates to the team lead of a manager."""
    late = make_contract(20)
    escalated = make_contract(7, manager=StaffFactory(team_lead=StaffFactory()))
    return late, escalated


def test_a_sweep_reports_what_it_created(late_and_escalated):
    summary = reminders_sweep(as_of=AS_OF)

    assert (summary.created, summary.late, summary.skipped) == (2, 1, 0)
    assert (summary.tasks, summary.escalations) == (3, 1)


@pytest.mark.django_db(transaction=True)
def test_a_sweep_that_lost_every_insert_to_a_concurrent_one_reports_nothing_created(
    late_and_escalated,
):
    # given another sweep that has inserted every row and moved every schedule, not yet
    # committed, while this sweep's statement runs (it waits on the unique keys and the
    # schedule rows, then finds them taken)
    concurrent = []
    started = threading.Event()
    errors = []

    def concurrent_sweep():
        try:
            with transaction.atomic():
                concurrent.append(reminders_sweep(as_of=AS_OF))
                started.set()
                with connection.cursor() as cursor:
                    for _poll in range(6000):  # until this sweep's statement waits for us
                        cursor.execute(
                            "SELECT count(*) FROM pg_stat_activity"
                            " WHERE wait_event_type = 'Lock' AND datname = current_database()"
                        )
                        if cursor.fetchone()[0]:
                            break
                        cursor.execute("SELECT pg_sleep(0.01)")
                    else:
                        raise AssertionError("the other sweep never waited for this one")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
            started.set()
        finally:
            connection.close()

    thread = threading.Thread(target=concurrent_sweep)
    thread.start()
    started.wait()

    summary = reminders_sweep(as_of=AS_OF)
    thread.join()

    assert not errors
    assert (concurrent[0].created, concurrent[0].late, concurrent[0].escalations) == (2, 1, 1)
    assert summary.contracts_seen == 2
    assert (summary.created, summary.late, summary.skipped) == (0, 0, 2)
    assert (summary.tasks, summary.escalations) == (0, 0)
    assert Task.objects.filter(kind=TaskKind.ESCALATION).count() == 1
    assert reminders().count() == 2


def test_the_portable_sweep_reports_what_it_created_and_nothing_on_a_rerun(
    late_and_escalated, monkeypatch
):
    # given the ORM path used on databases other than PostgreSQL (`make run`'s SQLite),
    # which plans every contract of the window again on each run
    portable_path(monkeypatch)

    first = reminders_sweep(as_of=AS_OF)
    again = reminders_sweep(as_of=AS_OF)

    assert (first.created, first.late, first.tasks, first.escalations) == (2, 1, 3, 1)
    assert (again.created, again.late, again.tasks, again.escalations) == (0, 0, 0, 0)
    assert again.skipped == 2


def test_it_writes_to_the_primary_contacts_address_else_the_first_that_has_one(make_contract):
    from tests.factories import ContactFactory, CustomerFactory

    customer = CustomerFactory(notify_email=True, notify_sms=True, notify_in_app=False)
    ContactFactory(customer=customer, is_primary=False, email="early@example.com", phone="111")
    ContactFactory(customer=customer, is_primary=True, email="primary@example.com", phone="")
    contract = make_contract(30, customer=customer)

    reminders_sweep(as_of=AS_OF)

    assert set(reminders(contract).values_list("channel", "to_address")) == {
        ("email", "primary@example.com"),
        ("sms", "111"),
    }


def test_the_set_based_and_the_portable_sweep_write_the_same_rows(make_contract, monkeypatch):
    from renewals.models import Intent, RenewalCase, Stage

    lead = StaffFactory()
    for days, prefs in [
        (30, {}),
        (20, {"notify_sms": True}),
        (15, {"notify_email": False}),
        (7, {"notify_in_app": True, "notify_sms": True}),
        (3, {}),
        (45, {}),
    ]:
        make_contract(days, manager=StaffFactory(team_lead=lead), **prefs)
    answered = make_contract(7, manager=StaffFactory(team_lead=lead))
    RenewalCase.objects.create(
        contract=answered,
        stage=Stage.RESPONDED,
        intent=Intent.RENEW_AS_IS,
        opened_at=dt.datetime(2026, 5, 1, tzinfo=dt.UTC),
    )

    def written():
        messages = {
            (*row[:-1], tuple(sorted(row[-1].items())))
            for row in reminders().values_list(
                "contract_id",
                "channel",
                "to_address",
                "offset_days",
                "late",
                "dedupe_key",
                "language",
                "context",
            )
        }
        tasks = set(
            Task.objects.values_list(
                "assignee_id", "kind", "title", "details", "due_date", "contract_id", "dedupe_key"
            )
        )
        return messages, tasks

    set_based = reminders_sweep(as_of=AS_OF)
    by_statement = written()
    Message.objects.all().delete()
    Task.objects.all().delete()
    portable_path(monkeypatch)
    portable = reminders_sweep(as_of=AS_OF)

    assert written() == by_statement
    assert len(by_statement[0]) == set_based.created == portable.created == 9
    assert (set_based.tasks, set_based.escalations) == (portable.tasks, portable.escalations)
