"""Selectors of renewals: the set-based "has the customer answered" agrees with the
per-contract one."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from renewals.models import Intent, RenewalCase, Stage
from renewals.selectors import contracts_with_customer_response, customer_has_responded
from tests.factories import ContractFactory

pytestmark = pytest.mark.django_db


def _case(*, stage: str = Stage.INTENT_PENDING, intent: str = "") -> RenewalCase:
    return RenewalCase.objects.create(
        contract=ContractFactory(), stage=stage, intent=intent, opened_at=timezone.now()
    )


def test_it_answers_like_customer_has_responded_for_every_kind_of_case():
    # given contracts without a case, waiting, answered, quoted, lost with and without an answer
    no_case = ContractFactory()
    waiting = _case()
    answered = _case(stage=Stage.RESPONDED, intent=Intent.RENEW_AS_IS)
    answered_still_pending = _case(intent=Intent.UNDECIDED)
    quoted = _case(stage=Stage.QUOTE_SENT, intent=Intent.RENEW_WITH_CHANGES)
    lost_silent = _case(stage=Stage.LOST)
    lost_after_answer = _case(stage=Stage.LOST, intent=Intent.WILL_NOT_RENEW)
    won = _case(stage=Stage.WON)
    contracts = [no_case] + [
        c.contract
        for c in (waiting, answered, answered_still_pending, quoted, lost_silent, lost_after_answer)
    ]
    contracts.append(won.contract)

    # when
    responded = contracts_with_customer_response(contract_ids=[c.pk for c in contracts])

    # then
    assert responded == {c.pk for c in contracts if customer_has_responded(contract=c)}
    assert responded == {
        answered.contract_id,
        answered_still_pending.contract_id,
        quoted.contract_id,
        lost_after_answer.contract_id,
        won.contract_id,
    }


def test_it_answers_a_whole_batch_in_one_query():
    cases = [_case(stage=Stage.RESPONDED, intent=Intent.RENEW_AS_IS) for _ in range(5)]
    others = [ContractFactory() for _ in range(5)]

    with CaptureQueriesContext(connection) as ctx:
        responded = contracts_with_customer_response(
            contract_ids=[c.contract_id for c in cases] + [c.pk for c in others]
        )

    assert len(ctx.captured_queries) == 1
    assert responded == {c.contract_id for c in cases}


def test_it_only_answers_about_the_contracts_asked():
    asked = _case(stage=Stage.RESPONDED, intent=Intent.RENEW_AS_IS)
    _case(stage=Stage.RESPONDED, intent=Intent.RENEW_AS_IS)

    assert contracts_with_customer_response(contract_ids=[asked.contract_id]) == {asked.contract_id}
    assert contracts_with_customer_response(contract_ids=[]) == set()
