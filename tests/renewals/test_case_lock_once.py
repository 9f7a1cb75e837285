"""An automatic renewal (and a paid successor that completes a renewal) wins the case
under the lock it already holds: one lock of the case row, the same outcome."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from contracts.models import ContractStatus as S
from core.models import Task
from renewals.models import RenewalCase, Stage
from renewals.services import case_attach_auto_renewal, case_mark_won, case_open
from renewals.services.outcomes import case_on_successor_paid
from tests.factories import ContractFactory

pytestmark = pytest.mark.django_db


def _case_locks(queries: CaptureQueriesContext) -> int:
    return sum(
        1
        for q in queries.captured_queries
        if q["sql"].startswith('SELECT "renewals_renewalcase"') and "FOR UPDATE" in q["sql"]
    )


@pytest.fixture
def renewed(manager):
    predecessor = ContractFactory(customer__account_manager=manager, status=S.RENEWED)
    successor = ContractFactory(
        customer=predecessor.customer, predecessor=predecessor, status=S.ACTIVE
    )
    return predecessor, successor


@pytest.mark.parametrize("case_before", [False, True])
def test_an_automatic_renewal_locks_its_case_once_and_wins_it(renewed, manager, case_before):
    predecessor, successor = renewed
    if case_before:
        case_open(contract=predecessor)

    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        case = case_attach_auto_renewal(predecessor=predecessor, successor=successor)

    assert _case_locks(queries) == 1
    case = RenewalCase.objects.get(pk=case.pk)
    assert (case.stage, case.successor, case.next_action) == (Stage.WON, successor, "")
    assert case.closed_at is not None
    won = predecessor.events.get(kind="renewal_won")
    assert won.payload["automatic"] is True and won.payload["case"] == case.pk
    task = Task.objects.get(dedupe_key=f"renewal-followup:{case.pk}")
    assert (task.assignee, task.contract) == (manager, successor)


def test_a_second_win_changes_nothing(renewed):
    predecessor, successor = renewed
    case = case_attach_auto_renewal(predecessor=predecessor, successor=successor)

    again = case_mark_won(case=case)
    case_attach_auto_renewal(predecessor=predecessor, successor=successor)

    assert again.stage == Stage.WON
    assert predecessor.events.filter(kind="renewal_won").count() == 1
    assert Task.objects.filter(dedupe_key=f"renewal-followup:{case.pk}").count() == 1


def test_a_paid_successor_after_the_old_term_completes_the_case_under_one_lock(renewed):
    predecessor, successor = renewed
    case, _created = case_open(contract=predecessor)
    RenewalCase.objects.filter(pk=case.pk).update(stage=Stage.SIGNED, successor=successor)

    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        case_on_successor_paid(successor=successor)

    assert _case_locks(queries) == 1
    case.refresh_from_db()
    assert case.stage == Stage.WON
    stages = list(
        predecessor.events.filter(kind__in=["renewal_paid", "renewal_won"])
        .order_by("id")
        .values_list("kind", flat=True)
    )
    assert stages == ["renewal_paid", "renewal_won"]
