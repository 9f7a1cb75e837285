"""Races between the renewal and other flows on the same contract, on real PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection

from contracts.models import Contract, ContractLine, ContractStatus
from core.errors import DomainError
from renewals import services
from renewals.models import RenewalCase
from tests.factories import ContractFactory, CustomerFactory, PlanFactory, StaffFactory


def _quoted_contract():
    manager = StaffFactory()
    plan = PlanFactory(price=Decimal("100.00"))
    today = dt.date.today()
    contract = ContractFactory(
        customer=CustomerFactory(account_manager=manager),
        plan=plan,
        start_date=today - dt.timedelta(days=330),
        end_date=today + dt.timedelta(days=34),
        with_line=False,
    )
    ContractLine.objects.create(
        contract=contract, plan=plan, description="Plan", quantity=1, unit_price=Decimal("1200")
    )
    case, _ = services.case_open(contract=contract)
    quote = services.quote_create(case=case, by=manager)
    services.quote_send(quote=quote, by=manager)
    quote.refresh_from_db()
    return contract, case, quote


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_concurrent_sign_and_cancel_exactly_one_wins_with_a_clear_message(round_):
    pytest.importorskip("retention.services")
    from retention.services import cancellation_submit

    contract, case, quote = _quoted_contract()
    barrier = threading.Barrier(2)
    results: dict[str, str] = {}

    def sign():
        try:
            barrier.wait()
            services.quote_sign_online(
                quote=quote,
                full_name="Wang Xiaoming",
                accepted=True,
                document_sha256=quote.contract_document.sha256,
            )
            results["sign"] = "ok"
        except DomainError as exc:
            results["sign"] = exc.message
        finally:
            connection.close()

    def cancel():
        try:
            barrier.wait()
            cancellation_submit(
                contract=contract,
                kind="non_renewal",
                reason="price",
                by=None,
            )
            results["cancel"] = "ok"
        except DomainError as exc:
            results["cancel"] = exc.message
        finally:
            connection.close()

    threads = [threading.Thread(target=sign), threading.Thread(target=cancel)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(results) == ["cancel", "sign"]
    winners = [k for k, v in results.items() if v == "ok"]
    assert len(winners) == 1, results
    loser = "cancel" if winners == ["sign"] else "sign"
    assert len(results[loser]) > 10  # a sentence for the user, not an exception
    successor = Contract.objects.get(pk=RenewalCase.objects.get(pk=case.pk).successor_id)
    if winners == ["sign"]:
        assert successor.status == ContractStatus.AWAITING_PAYMENT
    else:
        # The confirmed non-renewal withdrew the unsigned renewal (the portal and staff
        # pages say so before confirming): lifecycle.cancellation_renewals.
        assert successor.status == ContractStatus.VOID


@pytest.mark.django_db(transaction=True)
def test_two_clerks_sending_the_same_quote_send_it_once():
    contract, case, quote = _quoted_contract()
    manager = case.owner
    services.quote_update(quote=quote, by=manager, discount_percent=Decimal("5"))
    barrier = threading.Barrier(2)
    outcomes = []

    def send():
        try:
            barrier.wait()
            services.quote_send(quote=quote, by=manager)
            outcomes.append("ok")
        except DomainError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok", "refused"]
    # one from the first sending in the setup, one from the race
    assert contract.events.filter(kind="renewal_quote_sent").count() == 2
