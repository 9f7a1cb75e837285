from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection

from contracts import contract_states, services
from contracts.models import Contract, ContractEvent, ContractStatus
from core.errors import DomainError, InvalidTransition
from tests.factories import ContractFactory, CustomerFactory, PlanFactory

S = ContractStatus
pytestmark = pytest.mark.django_db


def _draft(manager, **kw):
    customer = CustomerFactory(account_manager=manager)
    return services.contract_create_draft(
        customer=customer,
        by=manager,
        start_date=dt.date(2027, 1, 1),
        end_date=dt.date(2027, 12, 31),
        lines=[
            services.LineSpec("Seats", Decimal("10"), Decimal("120.50")),
            services.LineSpec("Support", Decimal("1"), Decimal("999.99")),
        ],
        **kw,
    )


def test_it_creates_a_draft_with_a_readable_number_totals_and_an_event(manager):
    contract = _draft(manager)

    assert contract.status == S.DRAFT
    assert contract.number.startswith("HT-2027-")
    assert contract.total_amount == Decimal("2204.99")
    assert contract.annual_value == Decimal("2204.99")
    event = contract.events.get()
    assert (event.kind, event.to_status, event.actor) == ("created", "draft", manager)


def test_it_numbers_contracts_consecutively(manager):
    a, b = _draft(manager), _draft(manager)
    assert int(b.number[-6:]) == int(a.number[-6:]) + 1


def test_it_refuses_a_draft_without_lines_or_with_end_before_start(manager):
    customer = CustomerFactory(account_manager=manager)
    with pytest.raises(DomainError):
        services.contract_create_draft(
            customer=customer,
            by=manager,
            start_date=dt.date(2027, 1, 1),
            end_date=dt.date(2027, 2, 1),
            lines=[],
        )
    with pytest.raises(DomainError):
        services.contract_create_draft(
            customer=customer,
            by=manager,
            start_date=dt.date(2027, 1, 1),
            end_date=dt.date(2026, 1, 1),
            lines=[services.LineSpec("x", Decimal(1), Decimal(1))],
        )


def test_it_copies_the_cancellation_policy_from_the_plan_when_signed(manager):
    plan = PlanFactory(etf_kind="fixed", etf_value=Decimal("500"), refund_policy="pro_rata")
    contract = _draft(manager, plan=plan)
    services.contract_send_for_signature(contract=contract, by=manager)
    services.contract_record_signature(contract=contract, by=manager)
    plan.etf_value = Decimal("9999")
    plan.save()

    contract.refresh_from_db()
    assert contract.etf_kind == "fixed"
    assert contract.etf_value == Decimal("500.00")
    assert contract.refund_policy == "pro_rata"


def test_it_walks_the_happy_path_and_records_every_step(manager):
    contract = _draft(manager)
    services.contract_send_for_signature(contract=contract, by=manager)
    services.contract_record_signature(contract=contract, by=manager)
    services.contract_record_first_payment(
        contract=contract, by=manager, today=dt.date(2026, 12, 1)
    )
    assert contract.status == S.SCHEDULED
    services.contract_activate(contract=contract)
    services.contract_expire(contract=contract, reason="term ended")

    kinds = list(contract.events.values_list("kind", "from_status", "to_status"))
    assert kinds == [
        ("created", "", "draft"),
        ("sent_for_signature", "draft", "awaiting_signature"),
        ("signed", "awaiting_signature", "awaiting_payment"),
        ("paid", "awaiting_payment", "scheduled"),
        ("activated", "scheduled", "active"),
        ("expired", "active", "expired"),
    ]


def test_it_activates_at_once_when_paid_on_or_after_the_start_date(manager):
    contract = ContractFactory(status=S.AWAITING_PAYMENT, start_date=dt.date(2026, 1, 1))
    services.contract_record_first_payment(contract=contract, by=manager, today=dt.date(2026, 1, 1))
    assert contract.status == S.ACTIVE


ALL = list(S.values)
ALLOWED = {(f, t) for f, targets in contract_states.ALLOWED_TRANSITIONS.items() for t in targets}


@pytest.mark.parametrize("from_status", ALL)
@pytest.mark.parametrize("to_status", ALL)
def test_every_transition_is_allowed_or_refused_per_the_table(from_status, to_status, manager):
    contract = ContractFactory(status=from_status)
    before = ContractEvent.objects.count()

    if (from_status, to_status) in ALLOWED:
        contract_states.contract_transition(
            contract=contract, change=contract_states.ContractChange(to_status), by=manager
        )
        assert Contract.objects.get(pk=contract.pk).status == to_status
        assert ContractEvent.objects.count() == before + 1
    else:
        with pytest.raises(InvalidTransition):
            contract_states.contract_transition(
                contract=contract, change=contract_states.ContractChange(to_status), by=manager
            )
        assert Contract.objects.get(pk=contract.pk).status == from_status
        assert ContractEvent.objects.count() == before


def test_the_table_matches_the_product_status_machine():
    assert ALLOWED >= {
        (S.DRAFT, S.AWAITING_SIGNATURE),
        (S.AWAITING_SIGNATURE, S.AWAITING_PAYMENT),
        (S.AWAITING_PAYMENT, S.ACTIVE),
        (S.AWAITING_PAYMENT, S.SCHEDULED),
        (S.SCHEDULED, S.ACTIVE),
        (S.ACTIVE, S.RENEWED),
        (S.ACTIVE, S.EXPIRED),
        (S.ACTIVE, S.TERMINATED),
    }
    for ended in (S.EXPIRED, S.TERMINATED, S.VOID):
        assert contract_states.ALLOWED_TRANSITIONS[ended] == frozenset()
    # Only an undone automatic renewal leaves "renewed": the old term expired after all.
    assert contract_states.ALLOWED_TRANSITIONS[S.RENEWED] == frozenset({S.EXPIRED})
    assert contract_states.RENEWAL_UNDONE.expect_from == frozenset({S.RENEWED})


def test_only_a_draft_can_be_edited(manager):
    contract = _draft(manager)
    services.contract_update_draft(contract=contract, by=manager, notice_period_days=60)
    services.contract_send_for_signature(contract=contract, by=manager)
    with pytest.raises(InvalidTransition):
        services.contract_update_draft(contract=contract, by=manager, notice_period_days=10)
    contract.refresh_from_db()
    assert contract.notice_period_days == 60


PUBLISHED: list[tuple[str, list[int]]] = []


def record_publish(label: str, ids: list[int]) -> None:
    PUBLISHED.append((label, list(ids)))


def test_the_status_change_event_is_published_only_after_commit(
    manager, settings, django_capture_on_commit_callbacks
):
    settings.RENEWDESK_EVENT_DELIVERY = "tests.contracts.test_services.record_publish"
    PUBLISHED.clear()
    contract = ContractFactory(status=S.ACTIVE)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.contract_expire(contract=contract)
    assert PUBLISHED == []
    for cb in callbacks:
        cb()
    event = contract.events.get(kind="expired")
    assert (event.from_status, event.to_status) == ("active", "expired")
    assert PUBLISHED == [("contracts.ContractEvent", [event.pk])]


def test_auto_renew_switch_writes_a_consent_row_and_an_event(manager):
    contract = ContractFactory(status=S.ACTIVE)
    consent = services.contract_set_auto_renew(
        contract=contract,
        enabled=True,
        by=manager,
        channel="staff",
        text="I agree to renew automatically.",
        text_version="2026-1",
        ip_address="10.0.0.1",
        user_agent="pytest",
    )
    contract.refresh_from_db()
    assert contract.auto_renew is True
    assert (consent.text, consent.channel, consent.ip_address) == (
        "I agree to renew automatically.",
        "staff",
        "10.0.0.1",
    )
    assert contract.events.filter(kind="auto_renew_on").exists()


def test_auto_renew_cannot_change_on_an_ended_contract(manager):
    contract = ContractFactory(status=S.EXPIRED)
    with pytest.raises(InvalidTransition):
        services.contract_set_auto_renew(
            contract=contract, enabled=True, by=manager, channel="staff", text="t", text_version="1"
        )


@pytest.mark.django_db(transaction=True)
def test_two_callers_racing_on_one_contract_exactly_one_wins():
    # given an active contract and two threads that both try to end it, in two ways
    assert connection.vendor == "postgresql"
    contract = ContractFactory(status=S.ACTIVE)
    barrier = threading.Barrier(2)
    results: list[str] = []

    def attempt(fn):
        try:
            barrier.wait()
            fn(contract=Contract.objects.get(pk=contract.pk))
            results.append("won")
        except InvalidTransition:
            results.append("refused")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=attempt, args=(services.contract_expire,)),
        threading.Thread(target=attempt, args=(services.contract_terminate,)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # then exactly one transition happened and one event was written
    assert sorted(results) == ["refused", "won"]
    contract.refresh_from_db()
    assert contract.status in (S.EXPIRED, S.TERMINATED)
    assert contract.events.filter(from_status="active").count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_number_allocation_never_repeats():
    from core.sequences import sequence_next

    values: list[int] = []
    lock = threading.Lock()

    def take():
        try:
            for _ in range(10):
                v = sequence_next(name="race-test")
                with lock:
                    values.append(v)
        finally:
            connection.close()

    threads = [threading.Thread(target=take) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(values) == list(range(1, 41))
