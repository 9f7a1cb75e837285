"""Races on real PostgreSQL: threads with their own connections, no test transaction."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection

from contracts.models import Contract, ContractLine, ContractStatus
from core.errors import DomainError
from retention import services as retention_services
from retention.models import CancellationRequest
from tests.factories import ContractFactory, CustomerFactory, PlanFactory, StaffFactory


def _run_together(*fns):
    barrier = threading.Barrier(len(fns))
    results: list[str] = [""] * len(fns)

    def wrap(i, fn):
        try:
            barrier.wait()
            fn()
            results[i] = "ok"
        except DomainError as exc:
            results[i] = exc.message
        except Exception as exc:  # noqa: BLE001 - anything else would be a 500
            results[i] = f"CRASH {exc.__class__.__name__}: {exc}"
        finally:
            connection.close()

    threads = [threading.Thread(target=wrap, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _quoted_contract():
    from renewals import services as renewal_services

    manager = StaffFactory()
    plan = PlanFactory(price=Decimal("100.00"))
    today = dt.date.today()
    contract = ContractFactory(
        customer=CustomerFactory(account_manager=manager),
        plan=plan,
        start_date=today - dt.timedelta(days=300),
        end_date=today + dt.timedelta(days=64),
        notice_period_days=7,
        with_line=False,
    )
    ContractLine.objects.create(
        contract=contract, plan=plan, description="Plan", quantity=1, unit_price=Decimal("1200")
    )
    case, _ = renewal_services.case_open(contract=contract)
    quote = renewal_services.quote_create(case=case, by=manager)
    renewal_services.quote_send(quote=quote, by=manager)
    quote.refresh_from_db()
    return contract, case, quote


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(4))
def test_an_early_termination_racing_a_renewal_signature_lets_exactly_one_win(round_):
    from renewals import services as renewal_services
    from renewals.models import RenewalCase

    contract, case, quote = _quoted_contract()

    sign, cancel = _run_together(
        lambda: renewal_services.quote_sign_offline(
            quote=quote,
            by=case.owner,
            signer_name="Wang Xiaoming",
            signed_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1),
            scan=b"%PDF-1.4 scan",
            filename="scan.pdf",
        ),
        lambda: retention_services.cancellation_submit(
            contract=contract, kind="early_termination", reason="budget", by=None
        ),
    )

    assert not sign.startswith("CRASH") and not cancel.startswith("CRASH"), (sign, cancel)
    assert [sign, cancel].count("ok") == 1, (sign, cancel)
    successor = Contract.objects.get(pk=RenewalCase.objects.get(pk=case.pk).successor_id)
    open_requests = CancellationRequest.objects.filter(contract=contract).count()
    if sign == "ok":
        assert successor.status == ContractStatus.AWAITING_PAYMENT
        assert open_requests == 0
    else:
        assert successor.status == ContractStatus.AWAITING_SIGNATURE
        assert open_requests == 1


@pytest.mark.django_db(transaction=True)
def test_a_double_click_from_two_connections_makes_one_request():
    contract = ContractFactory(
        start_date=dt.date.today() - dt.timedelta(days=100),
        end_date=dt.date.today() + dt.timedelta(days=200),
    )

    def submit():
        retention_services.cancellation_submit(
            contract=contract, kind="early_termination", reason="price", by=None, token="same"
        )

    results = _run_together(submit, submit, submit)

    assert results == ["ok", "ok", "ok"]
    assert CancellationRequest.objects.filter(contract=contract).count() == 1
