"""A term that ends without a renewal closes its open renewal case as lost, with a reason:
"no response" when the customer never answered (renewals.services.cases_lose_at_term_end,
called by lifecycle.term_changes.terms_expire)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from contracts.models import ContractEvent, ContractStatus
from lifecycle import term_changes
from renewals import services
from renewals.forms import LoseForm
from renewals.models import Intent, LossReason, RenewalCase, Stage
from tests.factories import ContractFactory

S = ContractStatus
END = dt.date(2028, 2, 29)  # a leap day: the term's last day
AS_OF = END + dt.timedelta(days=1)

pytestmark = pytest.mark.django_db


def _case(contract, **kw):
    return RenewalCase.objects.create(
        contract=contract, owner=contract.owner, opened_at=timezone.now(), **kw
    )


def test_it_closes_an_unanswered_case_as_lost_for_no_response_when_the_term_expires():
    contract = ContractFactory(end_date=END)
    case = _case(contract)

    assert term_changes.terms_expire([contract.pk], AS_OF) == 1

    case.refresh_from_db()
    assert case.stage == Stage.LOST
    assert case.loss_reason == LossReason.NO_RESPONSE
    assert case.closed_at is not None
    event = ContractEvent.objects.get(contract=contract, kind="renewal_lost")
    assert event.payload["loss_reason"] == LossReason.NO_RESPONSE
    assert event.payload["automatic"] is True


def test_an_answered_case_that_runs_out_is_lost_as_other_and_keeps_the_answer():
    contract = ContractFactory(end_date=END)
    case = _case(contract, stage=Stage.RESPONDED, intent=Intent.UNDECIDED)

    term_changes.terms_expire([contract.pk], AS_OF)

    case.refresh_from_db()
    assert (case.stage, case.loss_reason, case.intent) == (
        Stage.LOST,
        LossReason.OTHER,
        Intent.UNDECIDED,
    )
    assert case.loss_note


def test_a_case_already_lost_or_a_term_not_yet_over_is_left_alone():
    lost = ContractFactory(end_date=END)
    lost_case = _case(lost)
    services.case_lose(case=lost_case, reason=LossReason.PRICE, by=None, note="too dear")
    running = ContractFactory(end_date=AS_OF)  # its last day: not over yet
    running_case = _case(running)

    term_changes.terms_expire([lost.pk, running.pk], AS_OF)

    lost_case.refresh_from_db()
    running_case.refresh_from_db()
    assert (lost_case.stage, lost_case.loss_reason) == (Stage.LOST, LossReason.PRICE)
    assert running_case.stage == Stage.INTENT_PENDING
    assert services.cases_lose_at_term_end(contract_ids=[lost.pk]) == 0


def test_the_lose_form_has_no_reason_chosen_in_advance():
    form = LoseForm({"note": "went quiet"})

    assert not form.is_valid()
    assert form.errors["reason"] == ["Choose a loss reason."]
    assert LoseForm({"reason": LossReason.BUDGET}).is_valid()
