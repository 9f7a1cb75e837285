"""renewals.services.case_lose_undone_renewal: a renewal the customer undid
(lifecycle/customer_exits.py) closes its case as lost, from won too;
signed or paid stays (real PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from contracts.models import ContractEvent
from core.errors import InvalidTransition
from renewals.case_states import case_lock, case_stage_change
from renewals.models import LossReason, RenewalCase, Stage
from renewals.services import case_lose_undone_renewal
from tests.factories import ContractFactory

pytestmark = pytest.mark.django_db
AT = dt.datetime(2028, 2, 29, 10, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("stage", [Stage.WON, Stage.RESPONDED])
def test_an_undone_renewal_closes_its_case_as_lost_with_the_reason(stage):
    old = ContractFactory()
    new = ContractFactory(customer=old.customer, predecessor=old)
    case = RenewalCase.objects.create(contract=old, stage=stage, successor=new, opened_at=AT)

    with transaction.atomic():
        case_lose_undone_renewal(predecessor=old, successor=new, note="Undone by the customer")

    case.refresh_from_db()
    assert (case.stage, case.loss_reason, case.loss_note) == (
        Stage.LOST,
        LossReason.OTHER,
        "Undone by the customer",
    )
    assert case.closed_at is not None and case.successor == new
    event = ContractEvent.objects.get(contract=old, kind="renewal_lost")
    assert event.payload["undone"] is True and event.payload["from_stage"] == stage


@pytest.mark.parametrize("stage", [Stage.SIGNED, Stage.PAID])
def test_a_signed_case_not_won_yet_stays(stage):
    old = ContractFactory()
    new = ContractFactory(customer=old.customer, predecessor=old)
    case = RenewalCase.objects.create(contract=old, stage=stage, successor=new, opened_at=AT)
    with transaction.atomic():
        case_lose_undone_renewal(predecessor=old, successor=new, note="x")
    case.refresh_from_db()
    assert case.stage == stage


def test_a_lost_case_is_left_alone_and_no_case_is_no_error():
    old = ContractFactory()
    new = ContractFactory(customer=old.customer, predecessor=old)
    with transaction.atomic():
        assert case_lose_undone_renewal(predecessor=old, successor=new, note="x") is None
    case = RenewalCase.objects.create(contract=old, stage=Stage.LOST, opened_at=AT)
    with transaction.atomic():
        case_lose_undone_renewal(predecessor=old, successor=new, note="x")
    assert not ContractEvent.objects.filter(contract=old).exists()
    with pytest.raises(InvalidTransition), transaction.atomic():
        case_stage_change(case_lock(case), Stage.LOST)
