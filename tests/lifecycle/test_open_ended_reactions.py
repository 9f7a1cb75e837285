"""An open-ended contract's months follow one another on their own (contracts.open_ended):
the reactions to a renewal (a CSAT survey, the renewal's loyalty points) answer the first
step into open-ended, a renewal the rules made, and not each month after it."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from contracts.models import Contract
from insights.models import Survey
from lifecycle.contract_ends import process_contract_ends
from loyalty.models import EarnRule, PointsEntry, Trigger
from tests.lifecycle import test_compliance_renewal as german

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock(db):
    # The same fixed clock as the German tests: before the term ends.
    german.shipped_rules_seed()
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC), tick=False):
        yield


def test_the_months_of_an_open_ended_contract_earn_no_renewal_points_and_ask_no_survey(
    django_capture_on_commit_callbacks,
):
    EarnRule.objects.create(code="renewal", name="续约", trigger=Trigger.RENEWAL, points=100)
    contract = german._contract("DE", start=dt.date(2026, 3, 1), end=dt.date(2027, 2, 28))
    german._notice(contract, at=german._local(dt.date(2027, 2, 1), "Europe/Berlin"))

    # given: the initial term renewed into open-ended, then two months followed on their own
    with django_capture_on_commit_callbacks(execute=True):
        process_contract_ends(as_of=dt.date(2027, 2, 28))
    for month_end in (dt.date(2027, 3, 31), dt.date(2027, 4, 30)):
        with django_capture_on_commit_callbacks(execute=True):
            process_contract_ends(as_of=month_end)
    chain = Contract.objects.filter(customer=contract.customer).order_by("start_date")
    assert [c.end_date for c in chain][-1] == dt.date(2027, 5, 31)

    # then: the step into open-ended was a renewal; the months after it were not
    entries = PointsEntry.objects.filter(customer=contract.customer, points__gt=0)
    assert entries.count() == 1
    surveys = Survey.objects.filter(customer=contract.customer)
    assert list(surveys.values_list("contract_id", flat=True)) == [contract.pk]
