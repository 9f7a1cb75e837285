from __future__ import annotations

import datetime as dt

import pytest

from contracts.models import ContractStatus
from retention import services
from retention.models import Status

pytestmark = pytest.mark.django_db


def test_it_terminates_the_contract_on_the_effective_date(contract, portal_user, manager, today):
    req = services.cancellation_submit(
        contract=contract, kind="early_termination", reason="budget", by=portal_user
    )
    req = services.cancellation_confirm(request=req, by=manager)
    assert req.status == Status.CONFIRMED
    assert req.effective_date == dt.date(2026, 4, 9)

    assert services.cancellations_complete_due(as_of=dt.date(2026, 4, 8)) == 0
    assert services.cancellations_complete_due(as_of=dt.date(2026, 4, 9)) == 1
    assert services.cancellations_complete_due(as_of=dt.date(2026, 4, 9)) == 0

    req.refresh_from_db()
    contract.refresh_from_db()
    assert req.status == Status.COMPLETED
    assert contract.status == ContractStatus.TERMINATED
