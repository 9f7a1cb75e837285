"""The automatic renewal's price the pages promise ("if you do nothing, on X your
contract renews for N months at CNY Y") is the price the renewal then charges: both come
from ``lifecycle.auto_renewal.auto_renewal_terms``. Fixed dates: a gold member (5 %
renewal discount and a free extra service), the plan's price list lowered between the
day the page is read and the end of the term."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from contracts.models import Contract, ContractLine, PlanPrice
from contracts.services import contract_set_auto_renew
from lifecycle.contract_ends import process_contract_ends
from loyalty.models import EntryKind, Level, PointsEntry, Privilege, PrivilegeKind
from tests.factories import (
    ContractFactory,
    CustomerFactory,
    PlanFactory,
    PortalAccountFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db

END = dt.date(2026, 6, 30)
PAGE_DAY = dt.date(2026, 5, 15)


def _business_day(day: dt.date):
    return time_machine.travel(dt.datetime.combine(day, dt.time(2, 0), tzinfo=dt.UTC), tick=False)


@pytest.fixture
def member_contract(db):
    plan = PlanFactory(code="PRO", name="专业版", price=Decimal("500.00"))
    health_check = PlanFactory(
        code="SVC-HEALTH", name="系统健康检查", price=Decimal("800.00"), billing_period="quarterly"
    )
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
    PointsEntry.objects.create(
        customer=contract.customer,
        kind=EntryKind.ADJUST,
        points=1200,
        on=dt.date(2026, 3, 1),
        reason="test",
    )
    # The price list changes between the page and the renewal: 450 a month from June.
    PlanPrice.objects.create(plan=plan, price=Decimal("450.00"), effective_from=dt.date(2026, 6, 1))
    return contract


def _promised_total(client, contract) -> Decimal:
    account = PortalAccountFactory(customer=contract.customer)
    account.user.language = "en"
    account.user.save(update_fields=["language"])
    client.force_login(account.user)
    with _business_day(PAGE_DAY):
        response = client.get(reverse("portal:renewal", args=[contract.pk]))
    text = " ".join(re.sub(r"<[^>]+>", "", response.content.decode()).split())
    (amount,) = re.findall(
        r"if you do nothing, on 1 Jul 2026 your contract renews automatically for 12 months "
        r"at CNY ([\d,]+\.\d\d)",
        text,
    )
    return Decimal(amount.replace(",", ""))


def test_the_pages_promised_total_is_what_the_automatic_renewal_charges(
    client, member_contract, notice
):
    promised = _promised_total(client, member_contract)

    with _business_day(END):
        report = process_contract_ends(as_of=END)

    assert report.auto_renewed == 1
    successor = Contract.objects.get(predecessor=member_contract)
    # 12 months at the new 450 = 5,400, less the level's 5 %; the service free
    assert successor.total_amount == promised == Decimal("5130.00")
    assert (successor.start_date, successor.end_date) == (dt.date(2026, 7, 1), dt.date(2027, 6, 30))
    assert successor.lines.filter(unit_price=0).count() == 1
