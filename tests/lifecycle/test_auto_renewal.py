"""Automatic renewal (lifecycle/auto_renewal.py), above all when it fails: the contract is
held (neither renewed nor expired) for the rest of the run, named in the report and
retried by the next run; its half-made successor is rolled back with it. Also the
in-flight renewals an expiry must respect, the month-end / leap-day terms of an automatic
renewal and its cost in queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing.models import Invoice
from contracts.models import Contract, ContractEvent, ContractStatus
from contracts.services import contract_set_auto_renew
from lifecycle import auto_renewal, term_changes
from lifecycle.contract_ends import process_contract_ends
from lifecycle.end_tasks import process_contract_ends_task
from renewals.models import RenewalCase, Stage
from tests.factories import ContractFactory, CustomerFactory, PlanFactory, StaffFactory

S = ContractStatus
END = dt.date(2026, 6, 30)
AS_OF = END + dt.timedelta(days=1)

pytestmark = pytest.mark.django_db


def _auto_renewing(*, start=dt.date(2025, 7, 1), end=END, manager=None, price="500.00"):
    contract = ContractFactory(
        customer=CustomerFactory(account_manager=manager or StaffFactory()),
        plan=PlanFactory(price=Decimal(price)),
        start_date=start,
        end_date=end,
        total_amount=Decimal("6000.00"),
    )
    contract_set_auto_renew(
        contract=contract, enabled=True, by=None, channel="portal", text="Renew", text_version="1"
    )
    return contract


class Fault:
    """Makes the renewal of the given contracts fail after their successor was written
    (a half-made successor), the way a dropped connection would mid-transaction."""

    def __init__(self, monkeypatch, *, failing=(), error=None):
        self.failing = {c.pk for c in failing}
        self.error = error or (lambda: OperationalError("server closed the connection"))
        real = auto_renewal.contract_services.contract_create_draft

        def create_draft(**kwargs):
            successor = real(**kwargs)
            predecessor = kwargs.get("predecessor")
            if predecessor is not None and predecessor.pk in self.failing:
                raise self.error()
            return successor

        monkeypatch.setattr(auto_renewal.contract_services, "contract_create_draft", create_draft)

    def clear(self):
        self.failing.clear()


def _renewal_by_hand(contract, *, status, stage):
    """A renewal case at ``stage`` and the next year's contract it wrote, in ``status``."""
    successor = ContractFactory(
        customer=contract.customer,
        predecessor=contract,
        status=status,
        start_date=AS_OF,
        end_date=dt.date(2027, 6, 30),
    )
    RenewalCase.objects.create(
        contract=contract,
        owner=contract.owner,
        successor=successor,
        stage=stage,
        opened_at=timezone.now(),
    )
    return successor


def _run(mode):
    """The run's summary: in this process, or as the daily task on Celery (eager here:
    every chunk and chord body runs in this process, through the same canvas)."""
    if mode == "sync":
        return process_contract_ends(as_of=AS_OF).as_dict()
    return process_contract_ends_task.delay(AS_OF.isoformat()).get()


def _status(contract):
    contract.refresh_from_db()
    return contract.status


def _assert_renewed_exactly_once(contract):
    assert _status(contract) == S.RENEWED
    successors = list(Contract.objects.filter(customer=contract.customer).exclude(pk=contract.pk))
    assert len(successors) == 1, successors  # no orphan draft beside it
    (successor,) = successors
    assert successor.predecessor_id == contract.pk
    assert successor.status == S.ACTIVE
    assert (successor.start_date, successor.end_date) == (AS_OF, dt.date(2027, 6, 30))
    assert Invoice.objects.filter(contract=successor).count() == 1
    assert contract.events.filter(kind="auto_renewed").count() == 1


@pytest.mark.parametrize("mode", ["sync", "celery"])
def test_it_holds_a_contract_whose_auto_renewal_failed_and_the_next_run_renews_it_once(
    mode, monkeypatch, notice, small_chunks, eager
):
    # given a busy day: expiries, auto-renewals, and one auto-renewal that fails
    manager = StaffFactory()
    expiring = [ContractFactory(end_date=END) for _ in range(3)]
    renewing = [_auto_renewing(manager=manager) for _ in range(2)]
    failing = _auto_renewing(manager=manager)
    fault = Fault(monkeypatch, failing=[failing])

    # when
    report = _run(mode)

    # then the failing contract is held: still active, no successor, named in the report
    assert _status(failing) == S.ACTIVE
    assert not Contract.objects.filter(customer=failing.customer).exclude(pk=failing.pk).exists()
    assert not failing.events.filter(kind__in=["expired", "renewed", "auto_renewed"]).exists()
    assert report == {
        "as_of": AS_OF.isoformat(),
        "activated": 0,
        "cancellations_completed": 0,
        "auto_renewed": 2,
        "auto_renew_blocked": 0,
        "renewed": 0,
        "expired": 3,
        "errors": 1,
        "renewal_failed": [failing.number],
    }
    # and the others went ahead
    assert [_status(c) for c in expiring] == [S.EXPIRED] * 3
    assert [_status(c) for c in renewing] == [S.RENEWED] * 2

    # when the next run goes without the fault
    fault.clear()
    again = _run(mode)

    # then it renews the held contract, exactly once, and expires nothing
    assert (again["auto_renewed"], again["expired"], again["errors"]) == (1, 0, 0)
    assert again["renewal_failed"] == []
    _assert_renewed_exactly_once(failing)
    for contract in renewing:
        _assert_renewed_exactly_once(contract)


def test_a_later_run_day_still_holds_it_while_the_renewal_keeps_failing(monkeypatch, notice):
    failing = _auto_renewing()
    Fault(monkeypatch, failing=[failing])
    for day in range(1, 4):
        report = process_contract_ends(as_of=END + dt.timedelta(days=day))
        assert _status(failing) == S.ACTIVE
        assert report.expired == 0
        assert report.renewal_failed == {failing.pk: failing.number}


def test_the_failed_renewal_rolls_back_the_voiding_of_a_manual_draft_and_the_retry_replaces_it(
    monkeypatch, notice
):
    # given an auto-renewing contract with an unsigned manual successor (quote sent)
    contract = _auto_renewing()
    manual = _renewal_by_hand(contract, status=S.AWAITING_SIGNATURE, stage=Stage.QUOTE_SENT)
    fault = Fault(monkeypatch, failing=[contract])

    # when the auto-renewal fails after it voided the manual draft and wrote its own
    report = process_contract_ends(as_of=AS_OF)

    # then everything it did is undone: the manual draft is still the pending successor
    assert report.renewal_failed == {contract.pk: contract.number}
    assert _status(contract) == S.ACTIVE
    assert _status(manual) == S.AWAITING_SIGNATURE
    assert Contract.objects.get(predecessor=contract) == manual
    assert Contract.objects.filter(customer=contract.customer).count() == 2

    # when the next run goes without the fault
    fault.clear()
    again = process_contract_ends(as_of=AS_OF)

    # then the manual draft is voided and detached, and one automatic successor took over
    assert again.auto_renewed == 1 and again.renewal_failed == {}
    manual.refresh_from_db()
    assert (manual.status, manual.predecessor_id) == (S.VOID, None)
    successor = Contract.objects.get(predecessor=contract)
    assert successor.status == S.ACTIVE
    assert _status(contract) == S.RENEWED
    assert RenewalCase.objects.get(contract=contract).successor == successor


def test_the_command_names_the_held_contract_and_fails(monkeypatch, notice):
    failing = _auto_renewing()
    ContractFactory(end_date=END)
    Fault(monkeypatch, failing=[failing])
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError):
        call_command("process_contract_ends", "--as-of", AS_OF.isoformat(), stdout=out, stderr=err)
    assert "expired: 1" in out.getvalue()
    assert f"renewal_failed: {failing.number}" in out.getvalue()
    assert failing.number in err.getvalue()
    assert _status(failing) == S.ACTIVE


def test_the_command_says_when_no_renewal_failed(notice):
    _auto_renewing()
    out = StringIO()
    call_command("process_contract_ends", "--as-of", AS_OF.isoformat(), stdout=out)
    assert "auto_renewed: 1" in out.getvalue()
    assert "renewal_failed: none" in out.getvalue()


def test_the_report_says_why_a_renewal_failed(monkeypatch, notice):
    failing = _auto_renewing()
    Fault(monkeypatch, failing=[failing])
    report = process_contract_ends(as_of=AS_OF)
    assert report.errors == [f"{failing.pk}: server closed the connection"]
    assert report.renewal_failed == {failing.pk: failing.number}


def test_the_daily_task_returns_the_held_contract(monkeypatch, notice, small_chunks, eager):
    failing = _auto_renewing()
    for _ in range(3):
        _auto_renewing()
    Fault(monkeypatch, failing=[failing])
    result = process_contract_ends_task.delay(AS_OF.isoformat()).get()
    assert result["renewal_failed"] == [failing.number]
    assert (result["auto_renewed"], result["expired"], result["errors"]) == (3, 0, 1)
    assert _status(failing) == S.ACTIVE


# --- failures the database itself reports (real transactions, no test transaction) -------


def _dangling_event():
    """A row whose foreign key points nowhere: PostgreSQL checks it (deferred) at COMMIT,
    so the transaction fails when it commits, after all its work was done."""
    ContractEvent.objects.create(contract_id=2_000_000_000, kind="dangling")


@pytest.mark.django_db(transaction=True)
def test_a_connection_dropped_mid_renewal_holds_that_contract_and_the_run_goes_on(
    monkeypatch, notice
):
    manager = StaffFactory()
    expiring = ContractFactory(end_date=END)
    renewing = _auto_renewing(manager=manager)
    failing = _auto_renewing(manager=manager)

    def drop_the_connection():
        # The server ends this session in the middle of the renewal's transaction.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        return OperationalError("unreachable")

    fault = Fault(monkeypatch, failing=[failing], error=drop_the_connection)

    report = process_contract_ends(as_of=AS_OF)

    assert (_status(failing), _status(renewing), _status(expiring)) == (
        S.ACTIVE,
        S.RENEWED,
        S.EXPIRED,
    )
    assert not Contract.objects.filter(customer=failing.customer).exclude(pk=failing.pk).exists()
    assert report.renewal_failed == {failing.pk: failing.number}
    assert (report.auto_renewed, report.expired, len(report.errors)) == (1, 1, 1)

    fault.clear()
    again = process_contract_ends(as_of=AS_OF)
    assert (again.auto_renewed, again.expired, again.renewal_failed) == (1, 0, {})
    _assert_renewed_exactly_once(failing)


@pytest.mark.django_db(transaction=True)
def test_a_renewal_whose_commit_fails_is_held_and_not_counted(monkeypatch, notice):
    failing = _auto_renewing()
    real_record = auto_renewal.contract_services.event_record

    def event_record(**kwargs):
        event = real_record(**kwargs)
        if kwargs.get("kind") == "auto_renewed":
            _dangling_event()
        return event

    monkeypatch.setattr(auto_renewal.contract_services, "event_record", event_record)

    report = process_contract_ends(as_of=AS_OF)

    assert (report.auto_renewed, report.expired) == (0, 0)
    assert report.renewal_failed == {failing.pk: failing.number}
    assert _status(failing) == S.ACTIVE
    assert not Contract.objects.filter(predecessor=failing).exists()


@pytest.mark.django_db(transaction=True)
def test_a_blocked_auto_renewal_whose_commit_fails_is_not_counted_as_blocked(monkeypatch):
    monkeypatch.setattr(auto_renewal, "renewal_notice_was_delivered", lambda contract: False)
    contract = _auto_renewing()
    from renewals import services as renewal_services

    real_open = renewal_services.case_open_for_blocked_auto_renewal

    def open_blocked(**kwargs):
        case = real_open(**kwargs)
        _dangling_event()
        return case

    monkeypatch.setattr(renewal_services, "case_open_for_blocked_auto_renewal", open_blocked)

    report = process_contract_ends(as_of=AS_OF)

    assert report.auto_renew_blocked == 0
    assert report.renewal_failed == {contract.pk: contract.number}
    assert _status(contract) == S.ACTIVE
    assert not RenewalCase.objects.filter(contract=contract).exists()


# --- renewals in flight: an expiry never ignores them ------------------------------------


def _signed_but_unpaid():
    """A contract renewed by hand: its case is signed, the successor awaits payment."""
    contract = ContractFactory(end_date=END)
    return contract, _renewal_by_hand(contract, status=S.AWAITING_PAYMENT, stage=Stage.SIGNED)


@pytest.fixture(params=["chunk", "one_by_one"])
def path(request, monkeypatch):
    """Both ways mark-renewed and expiry run: the chunk at once, or, when the chunk
    fails as a whole, one contract at a time (the same rule, with one id)."""
    if request.param == "one_by_one":
        for name in ("terms_renewed", "terms_expire"):
            rule = getattr(term_changes, name)

            def refusing_chunks(ids, as_of, rule=rule):
                if len(ids) > 1:
                    raise RuntimeError("chunk fails")
                return rule(ids, as_of)

            monkeypatch.setattr(term_changes, name, refusing_chunks)
    return request.param


def test_a_signed_but_unpaid_renewal_is_never_expired(path):
    contract, successor = _signed_but_unpaid()
    plain = ContractFactory(end_date=END)

    report = process_contract_ends(as_of=AS_OF)

    assert (report.renewed, report.expired, report.errors) == (1, 1, [])
    assert (_status(contract), _status(plain)) == (S.RENEWED, S.EXPIRED)
    assert _status(successor) == S.AWAITING_PAYMENT  # it activates when paid
    assert RenewalCase.objects.get(contract=contract).stage == Stage.WON


def test_a_renewal_that_cannot_be_marked_is_held_and_named_not_expired(path, monkeypatch):
    contract, _successor = _signed_but_unpaid()
    plain = ContractFactory(end_date=END)

    def case_mark_won(*, case, **kwargs):
        raise OperationalError("server closed the connection")

    monkeypatch.setattr("renewals.services.case_mark_won", case_mark_won)

    report = process_contract_ends(as_of=AS_OF)

    assert report.renewal_failed == {contract.pk: contract.number}
    assert (report.renewed, report.expired) == (0, 1)
    assert (_status(contract), _status(plain)) == (S.ACTIVE, S.EXPIRED)


# --- month ends and leap days ----------------------------------------------------------------


def _business_day(day):
    # 10:00 in Shanghai: the business date is ``day`` whatever the UTC date.
    return time_machine.travel(dt.datetime.combine(day, dt.time(2, 0), tzinfo=dt.UTC), tick=False)


def _successor(contract):
    return Contract.objects.get(predecessor=contract)


D = dt.date


@pytest.mark.parametrize(
    ("first_term", "renewals", "total"),
    [
        # A year that ends on the leap day: the next one ends on 28 February.
        (
            (D(2027, 3, 1), D(2028, 2, 29)),
            [(D(2028, 3, 1), D(2029, 2, 28)), (D(2029, 3, 1), D(2030, 2, 28))],
            "6000.00",
        ),
        # A year written "28 Feb to 28 Feb": its successor starts on the leap day and runs
        # to the end of February (not the 27th), and the next year is twelve months again
        # (not eleven).
        (
            (D(2027, 2, 28), D(2028, 2, 28)),
            [(D(2028, 2, 29), D(2029, 2, 28)), (D(2029, 3, 1), D(2030, 2, 28))],
            "6000.00",
        ),
        # A month from the 31st runs to the end of a leap February.
        (
            (D(2027, 12, 31), D(2028, 1, 30)),
            [(D(2028, 1, 31), D(2028, 2, 29)), (D(2028, 3, 1), D(2028, 3, 31))],
            "500.00",
        ),
    ],
    ids=["year_ending_29_feb", "year_starting_29_feb", "month_from_31_jan"],
)
def test_auto_renewals_keep_whole_terms_across_month_ends_and_leap_days(
    first_term, renewals, total, notice
):
    start, end = first_term
    with _business_day(start):
        contract = _auto_renewing(start=start, end=end)
    for start, end in renewals:
        # On its last day the contract renews into a successor for the day after...
        with _business_day(contract.end_date):
            assert timezone.localdate() == contract.end_date
            report = process_contract_ends(as_of=timezone.localdate())
        successor = _successor(contract)
        assert report.auto_renewed == 1
        assert (successor.start_date, successor.end_date) == (start, end)
        assert successor.total_amount == Decimal(total)  # whole months at 500 a month
        assert (successor.status, _status(contract)) == (S.SCHEDULED, S.ACTIVE)
        # ...which takes over on its first day.
        with _business_day(start):
            process_contract_ends(as_of=timezone.localdate())
        assert (_status(successor), _status(contract)) == (S.ACTIVE, S.RENEWED)
        contract = successor


# --- queries per contract ----------------------------------------------------------------


def _queries(run):
    with CaptureQueriesContext(connection) as ctx:
        run()
    return len(ctx.captured_queries)


def test_an_auto_renewal_costs_a_bounded_number_of_queries(notice):
    manager = StaffFactory()
    for _ in range(2):
        _auto_renewing(manager=manager)
    two = _queries(lambda: process_contract_ends(as_of=AS_OF))
    for _ in range(4):
        c = _auto_renewing(manager=manager)
        Contract.objects.filter(pk=c.pk).update(end_date=AS_OF)
    four = _queries(lambda: process_contract_ends(as_of=AS_OF + dt.timedelta(days=1)))
    per_contract = (four - two) / 2
    # Was 92 (each transition locked and re-read its row, a number took four
    # statements). Now 57: successor with lines, five transitions, consent, invoice,
    # renewal case and follow-up task, each with its event. Plus 3: the rules the
    # contract was signed under (its captured rules, else the jurisdictions and the rule
    # sets in force), read once per renewal (lifecycle/compliance_renewal.py). Plus 2: the
    # member's loyalty benefits, as a quote gets them (loyalty.services.
    # renewal_benefits_due): the member level (one query, the qualifying points as a
    # subquery) and the redeemed renewal discounts waiting, locked; a non-member costs
    # nothing more.
    assert per_contract <= 62, per_contract
