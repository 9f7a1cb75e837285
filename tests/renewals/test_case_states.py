"""renewals.case_states: the stage table, the one change, its event, its refusals, and
two workers racing on the same case (real PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.contrib.messages import get_messages
from django.db import connection, transaction
from django.urls import reverse
from django.utils import translation

from contracts.models import ContractEvent
from core.errors import InvalidTransition
from core.models import Task
from renewals.case_states import (
    CASE_STAGE_TRANSITIONS,
    CASE_STAGES,
    LOSABLE_STAGES,
    case_lock,
    case_stage_change,
    cases_stage_change_locked,
)
from renewals.models import RenewalCase, Stage
from renewals.services import case_mark_won, cases_mark_won
from tests.factories import ContractFactory

S = Stage
ALLOWED = [(src, dst) for src in S.values for dst in sorted(CASE_STAGE_TRANSITIONS[src])]
REFUSED = [
    (src, dst) for src in S.values for dst in S.values if dst not in CASE_STAGE_TRANSITIONS[src]
]
AT = dt.datetime(2026, 11, 21, 10, 0, tzinfo=dt.UTC)


def _case(stage: str = S.INTENT_PENDING) -> RenewalCase:
    return RenewalCase.objects.create(contract=ContractFactory(), stage=stage, opened_at=AT)


def _change(case: RenewalCase, to: str, **kwargs) -> RenewalCase:
    with transaction.atomic():
        return case_stage_change(case_lock(case), to, **kwargs)


def test_the_table_is_what_the_services_do():
    assert CASE_STAGE_TRANSITIONS == {
        S.INTENT_PENDING: {S.RESPONDED, S.QUOTE_SENT, S.WON, S.LOST},
        S.RESPONDED: {S.RESPONDED, S.QUOTE_SENT, S.WON, S.LOST},
        S.QUOTE_SENT: {S.RESPONDED, S.QUOTE_SENT, S.SIGNED, S.WON, S.LOST},
        # signed or paid → lost only when the new contract is voided (case_on_successor_voided)
        S.SIGNED: {S.PAID, S.WON, S.LOST},
        S.PAID: {S.WON, S.LOST},
        S.WON: {S.LOST},
        S.LOST: set(),
    }
    assert CASE_STAGES.initial == {S.INTENT_PENDING}
    assert CASE_STAGES.is_final(S.LOST)
    assert CASE_STAGES.sources_of(S.SIGNED) == {S.QUOTE_SENT}


@pytest.mark.django_db
@pytest.mark.parametrize(("src", "dst"), ALLOWED)
def test_every_allowed_change_writes_the_stage_and_one_event(manager, src, dst):
    case = _case(src)

    changed = _change(case, dst, by=manager, payload={"why": "test"}, updates={"flag": "x"})

    assert changed.stage == dst
    case.refresh_from_db()
    assert (case.stage, case.flag) == (dst, "x")
    assert (case.closed_at is not None) == (dst in (S.WON, S.LOST))
    event = ContractEvent.objects.get(contract=case.contract)
    assert event.kind == f"renewal_{dst}"
    assert event.actor == manager
    assert event.payload == {"case": case.pk, "from_stage": src, "to_stage": dst, "why": "test"}
    # Empty contract statuses: a case's event is not a contract status change (webhooks).
    assert (event.from_status, event.to_status) == ("", "")


@pytest.mark.django_db
@pytest.mark.parametrize(("src", "dst"), REFUSED)
def test_every_other_change_is_refused_and_writes_nothing(src, dst):
    case = _case(src)

    with pytest.raises(InvalidTransition) as refused:
        _change(case, dst)

    assert refused.value.message  # user-facing, said on the page
    case.refresh_from_db()
    assert case.stage == src and case.closed_at is None
    assert not ContractEvent.objects.filter(contract=case.contract).exists()


@pytest.mark.django_db
def test_the_refusal_is_translated():
    case = _case(S.LOST)

    with translation.override("zh-hans"), pytest.raises(InvalidTransition) as refused:
        _change(case, S.WON)

    assert "不能变为" in refused.value.message and "续约案例" in refused.value.message


@pytest.mark.django_db
def test_a_named_kind_replaces_the_stage_kind():
    case = _case(S.QUOTE_SENT)

    _change(case, S.QUOTE_SENT, kind="renewal_intent")

    assert ContractEvent.objects.get(contract=case.contract).kind == "renewal_intent"


@pytest.mark.django_db
def test_a_rolled_back_change_leaves_neither_the_stage_nor_the_event():
    case = _case(S.SIGNED)

    with pytest.raises(RuntimeError), transaction.atomic():
        case_stage_change(case_lock(case), S.PAID)
        raise RuntimeError("the rest of the action failed")

    case.refresh_from_db()
    assert case.stage == S.SIGNED
    assert not ContractEvent.objects.filter(contract=case.contract).exists()


@pytest.mark.django_db
def test_the_event_is_delivered_after_the_commit_only(settings, django_capture_on_commit_callbacks):
    delivered.clear()
    settings.RENEWDESK_EVENT_DELIVERY = f"{__name__}.deliver"
    case = _case(S.PAID)

    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            _change(case, S.WON)
            assert delivered == []

    event = ContractEvent.objects.get(contract=case.contract)
    assert delivered == [("contracts.ContractEvent", [event.pk])]


delivered: list[tuple[str, list[int]]] = []


def deliver(label: str, ids: list[int]) -> None:
    delivered.append((label, ids))


# --- batch -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_batch_moves_every_locked_case_with_one_event_each(manager):
    cases = [_case(S.SIGNED), _case(S.PAID), _case(S.QUOTE_SENT)]

    with transaction.atomic():
        locked = list(RenewalCase.objects.select_for_update().filter(pk__in=[c.pk for c in cases]))
        cases_stage_change_locked(
            locked, S.WON, by=manager, payload=lambda c: {"automatic": c.pk % 2 == 0}
        )

    for case in cases:
        case.refresh_from_db()
        assert case.stage == S.WON and case.closed_at is not None
        event = ContractEvent.objects.get(contract=case.contract)
        assert event.kind == "renewal_won" and event.payload["automatic"] == (case.pk % 2 == 0)


@pytest.mark.django_db
def test_one_refused_case_refuses_the_whole_batch():
    cases = [_case(S.SIGNED), _case(S.LOST)]

    with pytest.raises(InvalidTransition), transaction.atomic():
        locked = list(RenewalCase.objects.select_for_update().filter(pk__in=[c.pk for c in cases]))
        cases_stage_change_locked(locked, S.WON)

    assert sorted(RenewalCase.objects.values_list("stage", flat=True)) == [S.LOST, S.SIGNED]
    assert not ContractEvent.objects.exists()


# --- two workers on one case ---------------------------------------------------------------


def _race(case: RenewalCase, targets: list[str]) -> dict[str, str]:
    barrier = threading.Barrier(len(targets))
    results: dict[str, str] = {}

    def run(name: str, to: str) -> None:
        try:
            barrier.wait()
            with transaction.atomic():
                locked = case_lock(case)
                # Losing from the stages case_lose loses from (after the signature only
                # the void of the new contract loses a case).
                case_stage_change(
                    locked,
                    to,
                    updates={"next_action": name},
                    expect_from=LOSABLE_STAGES if to == S.LOST else None,
                )
            results[name] = "ok"
        except InvalidTransition as exc:
            results[name] = exc.message
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(f"worker{i}", to)) for i, to in enumerate(targets)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_two_workers_winning_the_same_case_one_wins_once(round_):
    case = _case(S.PAID)

    results = _race(case, [S.WON, S.WON])

    assert sorted(r == "ok" for r in results.values()) == [False, True]
    case.refresh_from_db()
    assert case.stage == S.WON
    assert ContractEvent.objects.filter(contract=case.contract, kind="renewal_won").count() == 1
    assert results[case.next_action] == "ok"  # the winner's write is the one kept


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_losing_and_signing_the_same_case_at_once_one_wins(round_):
    case = _case(S.QUOTE_SENT)

    results = _race(case, [S.LOST, S.SIGNED])

    assert sorted(r == "ok" for r in results.values()) == [False, True]
    case.refresh_from_db()
    winner = {"worker0": S.LOST, "worker1": S.SIGNED}[case.next_action]
    assert case.stage == winner
    kinds = list(
        ContractEvent.objects.filter(contract=case.contract).values_list("kind", flat=True)
    )
    assert kinds == [f"renewal_{winner}"]


# --- a refusal reaches the page as a message --------------------------------------------


@pytest.mark.django_db
def test_a_refused_change_is_a_message_on_the_case_page_not_an_error(client, manager):
    case = RenewalCase.objects.create(
        contract=ContractFactory(customer__account_manager=manager), stage=S.WON, opened_at=AT
    )
    client.force_login(manager)

    response = client.post(reverse("renewals:lose", args=[case.pk]), {"reason": "price"})

    assert response.status_code == 302
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message == "The renewal was already signed; cancel the new contract instead."
    case.refresh_from_db()
    assert case.stage == S.WON


# --- winning many cases: the sweep's batch and the single win share the table ---------------


@pytest.mark.django_db
def test_winning_many_cases_at_once_is_the_single_win_for_each():
    batch = [_case(S.SIGNED), _case(S.PAID), _case(S.WON)]
    single = _case(S.PAID)

    won = cases_mark_won(contract_ids=[c.contract_id for c in batch])
    case_mark_won(case=single)

    assert won == 2
    for case in [*batch[:2], single]:
        case.refresh_from_db()
        assert case.stage == S.WON and case.closed_at is not None and case.next_action == ""
        event = ContractEvent.objects.get(contract_id=case.contract_id, kind="renewal_won")
        assert event.payload["automatic"] is False
    # One follow-up task per case won, none for the case that was won already.
    followed = Task.objects.filter(dedupe_key__startswith="renewal-followup:")
    assert sorted(t.dedupe_key for t in followed) == sorted(
        f"renewal-followup:{c.pk}" for c in [*batch[:2], single]
    )
    assert not ContractEvent.objects.filter(contract_id=batch[2].contract_id).exists()


@pytest.mark.django_db
def test_a_lost_case_refuses_the_batch_win_as_it_refuses_the_single_one():
    signed, lost = _case(S.SIGNED), _case(S.LOST)

    with pytest.raises(InvalidTransition):
        cases_mark_won(contract_ids=[signed.contract_id, lost.contract_id])
    with pytest.raises(InvalidTransition):
        case_mark_won(case=lost)

    signed.refresh_from_db()
    assert signed.stage == S.SIGNED
    assert not ContractEvent.objects.exists()
