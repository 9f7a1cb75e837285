"""The loyalty benefits an automatic renewal gave are shown on the contract it made: the
staff contract page and the portal contract page list each benefit's reason
(``{% contract_member_benefits %}``) in the reader's language; a contract renewed
without benefits, or not renewed at all, shows no such list."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from contracts.models import Contract, ContractLine
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
AS_OF = END + dt.timedelta(days=1)
PAGE_DAY = dt.date(2026, 7, 15)

REASONS = {
    "en": [
        "5% off: member renewal discount (Gold)",
        "Included free of charge: A system health check every quarter, member extra service (Gold)",
    ],
    "zh-hans": [
        "优惠 5%：会员续约折扣（金卡）",
        "免费提供：每季度一次系统健康检查（金卡专享服务）",
    ],
}
HEADING = {"en": "Member benefits", "zh-hans": "会员优惠"}


def _business_day(day: dt.date):
    return time_machine.travel(dt.datetime.combine(day, dt.time(2, 0), tzinfo=dt.UTC), tick=False)


@pytest.fixture
def gold(db):
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


def _auto_renew(contract, *, points: int) -> Contract:
    PointsEntry.objects.create(
        customer=contract.customer,
        kind=EntryKind.ADJUST,
        points=points,
        on=dt.date(2026, 3, 1),
        reason="test",
    )
    with _business_day(AS_OF):
        report = process_contract_ends(as_of=AS_OF)
    assert report.auto_renewed == 1
    return Contract.objects.get(predecessor=contract)


def _staff_page(client, contract, language: str) -> str:
    manager = contract.owner
    manager.language = language
    manager.save(update_fields=["language"])
    client.force_login(manager)
    with _business_day(PAGE_DAY):
        response = client.get(reverse("contracts:detail", args=[contract.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _portal_page(client, contract, language: str) -> str:
    account = PortalAccountFactory(customer=contract.customer)
    account.user.language = language
    account.user.save(update_fields=["language"])
    client.force_login(account.user)
    with _business_day(PAGE_DAY):
        response = client.get(reverse("portal:contract-detail", args=[contract.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _benefits(body: str) -> list[str]:
    """The reasons in the page's member-benefits list (empty without one)."""
    if 'id="member-benefits"' not in body:
        return []
    section = body.split('id="member-benefits"', 1)[1].split("</ul>", 1)[0]
    items = re.findall(r'<li class="member-benefit">(.*?)</li>', section, re.S)
    return [" ".join(re.sub(r"<[^>]+>", "", item).split()) for item in items]


PAGES = {"staff": _staff_page, "portal": _portal_page}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("page", ["staff", "portal"])
def test_the_contract_an_automatic_renewal_made_lists_the_member_benefits_in_the_readers_language(
    client, contract, gold, notice, page, language
):
    successor = _auto_renew(contract, points=1200)

    body = PAGES[page](client, successor, language)

    assert _benefits(body) == REASONS[language]
    heading = body.split('id="member-benefits"', 1)[1].split("</h2>", 1)[0]
    assert HEADING[language] in heading
    # the other language's reasons are not on the page
    other = "zh-hans" if language == "en" else "en"
    assert not any(reason in body for reason in REASONS[other])


@pytest.mark.parametrize("page", ["staff", "portal"])
def test_a_renewal_without_benefits_and_the_renewed_contract_show_no_list(
    client, contract, gold, notice, page
):
    successor = _auto_renew(contract, points=100)  # below gold: no benefits

    assert 'id="member-benefits"' not in PAGES[page](client, successor, "en")
    assert 'id="member-benefits"' not in PAGES[page](client, contract, "en")


@pytest.mark.parametrize("page", ["staff", "portal"])
def test_the_predecessor_of_a_member_renewal_shows_no_list(client, contract, gold, notice, page):
    _auto_renew(contract, points=1200)

    assert 'id="member-benefits"' not in PAGES[page](client, contract, "en")
