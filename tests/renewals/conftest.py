from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from contracts.models import ContractLine, ContractStatus
from tests.factories import (
    ContactFactory,
    ContractFactory,
    CustomerFactory,
    PlanFactory,
    TermsVersionFactory,
)

# The current term runs for the calendar year of 2026 (ending 31 Dec); "today" is in
# the renewal window, 40 days before the end.
TODAY = dt.date(2026, 11, 21)
TERM_START = dt.date(2026, 1, 1)
TERM_END = dt.date(2026, 12, 31)


@pytest.fixture
def today():
    with time_machine.travel(dt.datetime(2026, 11, 21, 10, 0, tzinfo=dt.UTC), tick=False):
        yield TODAY


@pytest.fixture
def terms_v1(db):
    return TermsVersionFactory(
        version="2025.1",
        body="1. 服务内容。\n2. 费用按年支付。\n3. 终止条款。",
        effective_from=dt.date(2025, 1, 1),
    )


@pytest.fixture
def terms_v2(db):
    return TermsVersionFactory(
        version="2026.2",
        body="1. 服务内容。\n2. 费用按年或分期支付。\n3. 终止条款。\n4. 数据保护。",
        effective_from=dt.date(2026, 10, 1),
    )


@pytest.fixture
def plan(db):
    return PlanFactory(code="PRO", name="专业版 Pro", price=Decimal("1000.00"))


@pytest.fixture
def renewing_contract(db, manager, plan, terms_v1):
    """An active one-year contract of 12 months × 1,000 CNY, owned by ``manager``."""
    customer = CustomerFactory(
        name="上海示例科技有限公司", account_manager=manager, language="zh-hans"
    )
    ContactFactory(customer=customer, email="buyer@example.com")
    contract = ContractFactory(
        customer=customer,
        plan=plan,
        status=ContractStatus.ACTIVE,
        start_date=TERM_START,
        end_date=TERM_END,
        total_amount=Decimal("12000.00"),
        annual_value=Decimal("12000.00"),
        terms_version=terms_v1,
        with_line=False,
    )
    ContractLine.objects.create(
        contract=contract,
        plan=plan,
        description="专业版 Pro (12 个月)",
        quantity=Decimal("1"),
        unit_price=Decimal("12000.00"),
    )
    return contract


@pytest.fixture
def sent_messages(monkeypatch):
    """Messages handed to the notifications app, as (kind, kwargs)."""
    sent: list[tuple[str, dict]] = []

    def fake(**kwargs):
        sent.append((kwargs["kind"], kwargs))

    monkeypatch.setattr("notifications.customer_messages._enqueue_now", fake)
    return sent


@pytest.fixture
def notice_delivered(monkeypatch):
    """Pretend the notifications app delivered (True) or not (False) the renewal notice."""
    state = {"delivered": True}
    monkeypatch.setattr(
        "lifecycle.auto_renewal.renewal_notice_was_delivered", lambda contract: state["delivered"]
    )
    return state


def localdate() -> dt.date:
    return timezone.localdate()


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Generated PDFs and uploads go to a temporary folder, not the project's media/."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
