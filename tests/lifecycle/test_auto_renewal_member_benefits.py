"""A member's loyalty benefits on an automatic renewal (issue 16 point 3): the successor
gets the level's extra service as a complimentary line (price 0) and the level's renewal
discount, as a renewal quote does, with one benefit row per privilege named by the
successor contract (an automatic renewal has no quote); a member who lost the level gets
neither, and the line is never charged at the price list."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import translation

from billing.models import Invoice
from contracts.models import Contract, ContractLine
from contracts.services import contract_set_auto_renew
from lifecycle.contract_ends import process_contract_ends
from loyalty.models import EntryKind, Level, PointsEntry, Privilege, PrivilegeKind, QuoteBenefit
from loyalty.services import contract_benefits
from renewals.services.quote_pricing import renewal_lines_at_current_prices
from tests.factories import ContractFactory, CustomerFactory, PlanFactory, StaffFactory

pytestmark = pytest.mark.django_db

END = dt.date(2026, 6, 30)
AS_OF = END + dt.timedelta(days=1)


def _business_day(day: dt.date):
    return time_machine.travel(dt.datetime.combine(day, dt.time(2, 0), tzinfo=dt.UTC), tick=False)


@pytest.fixture
def health_check(db):
    return PlanFactory(
        code="SVC-HEALTH", name="系统健康检查", price=Decimal("800.00"), billing_period="quarterly"
    )


@pytest.fixture
def gold(db, health_check):
    gold = Level.objects.create(code="gold", name="金卡", name_en="Gold", min_points=1000)
    Privilege.objects.create(
        level=gold, kind=PrivilegeKind.RENEWAL_DISCOUNT, discount_percent=Decimal("5")
    )
    Privilege.objects.create(
        level=gold,
        kind=PrivilegeKind.EXTRA_SERVICE,
        plan=health_check,
        quantity=Decimal("1"),
        description="每季度一次系统健康检查",
        description_en="A system health check every quarter",
    )
    return gold


@pytest.fixture
def contract(db):
    plan = PlanFactory(code="PRO", name="专业版", price=Decimal("500.00"))
    with _business_day(dt.date(2025, 7, 1)):
        contract = ContractFactory(
            customer=CustomerFactory(account_manager=StaffFactory(), language="zh-hans"),
            plan=plan,
            start_date=dt.date(2025, 7, 1),
            end_date=END,
            total_amount=Decimal("6000.00"),
            with_line=False,
        )
        ContractLine.objects.create(
            contract=contract,
            plan=plan,
            description="专业版 (12 个月)",
            quantity=Decimal("1"),
            unit_price=Decimal("6000.00"),
        )
        contract_set_auto_renew(
            contract=contract,
            enabled=True,
            by=None,
            channel="portal",
            text="Renew",
            text_version="1",
        )
    return contract


def _points(customer, on: dt.date, points: int = 1200) -> None:
    PointsEntry.objects.create(
        customer=customer, kind=EntryKind.ADJUST, points=points, on=on, reason="test"
    )


def _auto_renew(contract, day: dt.date) -> Contract:
    with _business_day(day):
        report = process_contract_ends(as_of=day)
    assert report.auto_renewed == 1
    return Contract.objects.get(predecessor=contract)


def test_a_gold_member_keeps_the_service_free_and_gets_the_discount(
    contract, gold, health_check, notice
):
    _points(contract.customer, dt.date(2026, 3, 1))

    successor = _auto_renew(contract, AS_OF)

    (free,) = successor.lines.filter(plan=health_check)
    assert free.unit_price == Decimal("0.00")
    assert free.description == "每季度一次系统健康检查（会员礼遇·金卡，免费）"
    paid = successor.lines.get(plan=contract.plan)
    assert paid.unit_price == Decimal("5700.00")  # 6,000 less the level's 5 %
    assert successor.total_amount == Decimal("5700.00")
    assert Invoice.objects.get(contract=successor).amount == Decimal("5700.00")
    # the record, named by the successor (no quote), with its reason in both languages
    rows = QuoteBenefit.objects.filter(contract_ref=successor.number)
    assert rows.count() == 2 and not rows.exclude(quote_ref="").exists()
    with translation.override("en"):
        reasons = [b.reason for b in contract_benefits(contract_ref=successor.number)]
    assert reasons == [
        "5% off: member renewal discount (Gold)",
        "Included free of charge: A system health check every quarter, member extra service (Gold)",
    ]


def test_the_next_automatic_renewal_gives_the_service_once_again(
    contract, gold, health_check, notice
):
    customer = contract.customer
    _points(customer, dt.date(2026, 3, 1))
    successor = _auto_renew(contract, AS_OF)
    with _business_day(AS_OF):
        process_contract_ends(as_of=AS_OF)
    _points(customer, dt.date(2027, 3, 1))  # still gold in July 2027

    third = _auto_renew(successor, dt.date(2027, 7, 1))

    (free,) = third.lines.filter(plan=health_check)
    assert free.unit_price == Decimal("0.00")
    assert third.lines.count() == 2


def test_a_member_who_lost_the_level_gets_neither_and_is_not_charged_for_the_service(
    contract, gold, health_check, notice
):
    customer = contract.customer
    _points(customer, dt.date(2026, 3, 1))  # out of the 12-month window by July 2027
    successor = _auto_renew(contract, AS_OF)
    with _business_day(AS_OF):
        process_contract_ends(as_of=AS_OF)

    # the free line is recognised on a contract an automatic renewal made
    specs = renewal_lines_at_current_prices(
        contract=successor, start=dt.date(2027, 7, 1), months=12
    )
    assert [s.plan for s in specs] == [contract.plan]

    third = _auto_renew(successor, dt.date(2027, 7, 1))

    assert not third.lines.filter(plan=health_check).exists()
    assert third.total_amount == Decimal("6000.00")
    assert not QuoteBenefit.objects.filter(contract_ref=third.number).exists()


def test_a_customer_without_a_level_renews_as_before(contract, gold, health_check, notice):
    _points(contract.customer, dt.date(2026, 3, 1), points=100)

    successor = _auto_renew(contract, AS_OF)

    assert [line.plan for line in successor.lines.all()] == [contract.plan]
    assert successor.total_amount == Decimal("6000.00")
    assert not QuoteBenefit.objects.exists()
