"""Win-back leaves out a loyalty member's complimentary lines (issue 16 point 3): the
ended contract's free extra-service line (its product at price 0, marked by loyalty's
benefit row) is neither repriced and charged in full on the win-back draft nor carried
over free; the paid lines are repriced as before."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from contracts.models import Contract, ContractLine, ContractStatus
from lifecycle.winback import contract_winback_offer
from loyalty.models import Level, QuoteBenefit
from retention import services
from tests.factories import ContractFactory, CustomerFactory, PlanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def ended(db, manager):
    plan = PlanFactory(code="PRO", name="专业版", price=Decimal("1000.00"))
    health = PlanFactory(
        code="SVC-HEALTH", name="系统健康检查", price=Decimal("800.00"), billing_period="quarterly"
    )
    contract = ContractFactory(
        customer=CustomerFactory(account_manager=manager),
        plan=plan,
        status=ContractStatus.EXPIRED,
        start_date=dt.date(2025, 3, 1),
        end_date=dt.date(2026, 2, 28),
        total_amount=Decimal("12000.00"),
        with_line=False,
    )
    ContractLine.objects.create(
        contract=contract, plan=plan, description="专业版", quantity=1, unit_price=Decimal("12000")
    )
    ContractLine.objects.create(
        contract=contract,
        plan=health,
        description="系统健康检查（会员礼遇·金卡，免费）",
        quantity=1,
        unit_price=Decimal("0"),
        position=1,
    )
    # the contract was made by an automatic renewal that gave the service free
    QuoteBenefit.objects.create(
        contract_ref=contract.number,
        customer=contract.customer,
        level=Level.objects.create(code="gold", name="金卡", name_en="Gold", min_points=1000),
        discount_percent=Decimal("0"),
        plan=health,
        quantity=Decimal("1"),
    )
    return contract


def test_winback_draft_leaves_the_complimentary_line_out(ended, manager, today):
    new = contract_winback_offer(contract=ended, by=manager)

    assert [(line.plan.code, line.unit_price) for line in new.lines.all()] == [
        ("PRO", Decimal("12000.00"))
    ]
    assert new.total_amount == Decimal("12000.00")


def test_winback_page_offers_the_draft_without_the_complimentary_line(staff_client, ended, today):
    response = staff_client.post(reverse("retention:winback-offer", args=[ended.pk]))

    assert response.status_code == 302
    new = Contract.objects.get(events__kind="winback_from")
    assert not new.lines.filter(plan__code="SVC-HEALTH").exists()
    assert new.total_amount == Decimal("12000.00")


def test_winback_in_retention_alone_still_reprices_every_line(ended, manager, today):
    """retention cannot tell a complimentary line: without ``leave_out`` it reprices it
    (what the composition above prevents)."""
    new = services.winback_contract_offer(contract=ended, by=manager)

    assert new.lines.get(plan__code="SVC-HEALTH").unit_price == Decimal("3200.00")
