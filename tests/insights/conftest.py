"""A fixed book for the dashboard tests. Today is 2026-06-15 (Asia/Shanghai); the
12 months shown are 2025-07 … 2026-06. Every figure in test_selectors.py is worked out
by hand from this data (see the comments there)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine

from contracts.models import ContractStatus as S
from customers.models import TierSettings
from retention.models import CancellationRequest, OfferResponse, Status
from tests.factories import ContractFactory, CustomerFactory, PlanFactory, StaffFactory

SH = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 6, 15)


def d(s: str) -> dt.date:
    return dt.date.fromisoformat(s)


@pytest.fixture
def frozen_today():
    with time_machine.travel(dt.datetime(2026, 6, 15, 10, 0, tzinfo=SH), tick=False):
        yield TODAY


@pytest.fixture
def book(db, manager, frozen_today):
    tier_a = CustomerFactory(account_manager=manager, tier="A")
    tier_b = CustomerFactory(account_manager=manager, tier="B")
    plan = PlanFactory(code="P1")
    TierSettings.objects.update_or_create(pk=1, defaults={"fx_rates": {"USD": "7"}})

    def c(customer, status, start, end, value, **kw):
        return ContractFactory(
            customer=customer,
            status=status,
            start_date=d(start),
            end_date=d(end),
            annual_value=Decimal(value),
            total_amount=Decimal(value),
            **kw,
        )

    r1 = c(tier_a, S.RENEWED, "2025-03-01", "2026-02-28", "12000")
    s1 = c(tier_a, S.ACTIVE, "2026-03-01", "2027-02-28", "15000", predecessor=r1)  # upgrade
    r2 = c(tier_b, S.RENEWED, "2025-02-11", "2026-02-10", "10000")
    s2 = c(tier_b, S.ACTIVE, "2026-02-11", "2027-02-10", "8000", predecessor=r2)  # downgrade
    e1 = c(tier_b, S.EXPIRED, "2025-02-21", "2026-02-20", "6000")
    # Terminated early: its end date is in August but it ended on 2026-03-05.
    t1 = c(
        tier_a,
        S.TERMINATED,
        "2025-09-01",
        "2026-08-31",
        "4000",
        ended_at=dt.datetime(2026, 3, 5, 10, 0, tzinfo=SH),
    )
    # Spans the 2025 → 2026 year boundary; ended mid-January.
    e2 = c(tier_a, S.EXPIRED, "2025-01-15", "2026-01-14", "3000")
    a1 = c(tier_a, S.ACTIVE, "2025-07-01", "2026-06-25", "20000")  # 10 days
    a2 = c(tier_b, S.ACTIVE, "2025-08-02", "2026-08-01", "5000", plan=plan)  # 47 days
    a3 = c(tier_b, S.ACTIVE, "2025-09-11", "2026-09-10", "7000")  # 87 days
    a4 = c(tier_b, S.ACTIVE, "2025-10-21", "2026-10-20", "9000")  # 127 days
    # 1,000 USD at 7 = 7,000 CNY; ends in 20 days.
    a5 = c(tier_a, S.ACTIVE, "2026-05-01", "2026-07-05", "1000", currency="USD")
    # Someone else's book: never counted for the manager.
    other = ContractFactory(
        customer=CustomerFactory(account_manager=StaffFactory(username="bob"), tier="A"),
        status=S.ACTIVE,
        start_date=d("2025-07-01"),
        end_date=d("2026-06-20"),
        annual_value=Decimal("99999"),
    )

    def req(contract, reason, at, status=Status.SUBMITTED, offer=None):
        return CancellationRequest.objects.create(
            contract=contract,
            customer=contract.customer,
            kind="non_renewal",
            reason=reason,
            status=status,
            submitted_at=at,
            sla_due_at=at + dt.timedelta(days=2),
            offer_shown_at=at if offer is not None else None,
            offer_response=offer or "",
        )

    may = dt.datetime(2026, 5, 10, 12, 0, tzinfo=SH)
    req(a2, "price", may, Status.RETAINED, OfferResponse.ACCEPTED)
    req(a3, "price", may + dt.timedelta(days=10), Status.IN_REVIEW, OfferResponse.DECLINED)
    # 00:30 on 1 May in Shanghai is still 30 April in UTC: it counts in May.
    req(a1, "budget", dt.datetime(2026, 5, 1, 0, 30, tzinfo=SH))
    req(a4, "other", may, Status.REJECTED)  # rejected: not counted
    return SimpleNamespace(
        manager=manager,
        plan=plan,
        tier_a=tier_a,
        tier_b=tier_b,
        r1=r1,
        s1=s1,
        r2=r2,
        s2=s2,
        e1=e1,
        e2=e2,
        t1=t1,
        a1=a1,
        a2=a2,
        a3=a3,
        a4=a4,
        a5=a5,
        other=other,
    )
