"""The renewal quote on a phone (390×844): the customer reads every column of the
differences table (now → new quantity, unit price, amount, change) without swiping
sideways, in English and Chinese. Modelled on tests/e2e/test_portal_phone.py."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings as django_settings

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PHONE = {"width": 390, "height": 844}
SH = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 17, 10, 0, tzinfo=SH)
END = dt.date(2026, 12, 16)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_context_args():
    # Overrides tests/e2e/conftest.py: a phone.
    return {
        "viewport": PHONE,
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
        "locale": "en-US",
    }


@pytest.fixture
def frozen() -> Iterator[None]:
    # tick=True: the browser and the live server need a moving clock.
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def quoted(transactional_db, frozen):
    from contracts.models import ContractLine, PlanPrice
    from renewals import services
    from tests.factories import (
        ContactFactory,
        ContractFactory,
        CustomerFactory,
        PlanFactory,
        PortalAccountFactory,
        StaffFactory,
        UserFactory,
    )

    manager = StaffFactory(username="li", first_name="Na", last_name="Li")
    customer = CustomerFactory(name="北京云帆科技有限公司", account_manager=manager)
    ContactFactory(customer=customer, email="buyer@yunfan.example")
    user = UserFactory(username="buyer", email="buyer@yunfan.example")
    PortalAccountFactory(user=user, customer=customer)
    plan = PlanFactory(code="TEAM", name="Team plan", price=Decimal("900.00"))
    contract = ContractFactory(
        customer=customer,
        plan=plan,
        start_date=dt.date(2025, 12, 17),
        end_date=END,
        total_amount=Decimal("129600.00"),
        annual_value=Decimal("129600.00"),
        with_line=False,
    )
    ContractLine.objects.create(
        contract=contract,
        plan=plan,
        description="Team plan with priority support, 12 months",
        quantity=12,
        unit_price=Decimal("10800.00"),
    )
    # A monthly list price: 990.00 × 12 months = 11,880.00 a unit for the next term.
    PlanPrice.objects.create(plan=plan, price=Decimal("990.00"), effective_from=END)
    case, _ = services.case_open(contract=contract, by=manager)
    quote = services.quote_create(case=case, by=manager)
    services.quote_send(quote=quote, by=manager)
    return {"user": user, "contract": contract}


def _log_in(page, client, live_server, user) -> None:
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_column_of_the_quote_is_on_the_phone_screen(
    live_server, page, client, quoted, language
):
    quoted["user"].language = language
    quoted["user"].save()
    _log_in(page, client, live_server, quoted["user"])

    page.goto(f"{live_server.url}/portal/contracts/{quoted['contract'].pk}/renewal/")
    table = page.locator(".diff-table")
    table.wait_for()
    outside = page.evaluate(
        """(width) => Array.from(document.querySelectorAll('.diff-table td'))
            .filter((cell) => cell.getClientRects().length)
            .map((cell) => cell.getBoundingClientRect())
            .filter((box) => box.left < 0 || box.right > width)
            .map((box) => [Math.round(box.left), Math.round(box.right)])""",
        PHONE["width"],
    )
    assert outside == []
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # The figures that were hidden behind the swipe: the new amount and the change.
    text = table.inner_text()
    assert "142,560.00" in text  # 12 × 11,880.00
    assert "+12,960.00" in text
    assert page.js_errors == []
