"""The data and browser steps of the payment journeys (tests/e2e/test_payment_journeys.py).

One portal customer ("Yunfan", English interface) with:

- ``renewal_to_sign``: an active contract ending in 30 days with a renewal case whose quote
  was sent, so that the portal offers "Review and sign";
- ``contract_awaiting_payment``: a new contract signed offline that starts today, awaiting
  the payment of its first invoice;
- ``auto_renewing_contract``: an active contract with automatic renewal switched on in the
  portal (its consent in the ledger), ending in 30 days.

Dates: everything is a whole number of days from the ``today`` the test passes in (never
the wall clock here), and the services are called with explicit dates derived from the
contracts' own dates (the end of a term, the successor's start). Nothing depends on the
calendar month: day arithmetic crosses month and year ends the same way, and the term
lengths come from the services (``term_months``/``term_end``), as in the product.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from django.urls import reverse

PASSWORD = "pw-Secret-123"
EMAIL = "buyer@yunfan.example"
AMOUNT = Decimal("9600.00")
AMOUNT_TEXT = "CNY 9,600.00"


def customer_build() -> dict[str, Any]:
    from tests.factories import (
        ContactFactory,
        CustomerFactory,
        PortalAccountFactory,
        StaffFactory,
        UserFactory,
    )

    manager = StaffFactory(username="li", first_name="Na", last_name="Li", email="li@desk.example")
    customer = CustomerFactory(name="北京云帆科技有限公司", account_manager=manager, language="en")
    ContactFactory(customer=customer, name="Zhang Wei", email=EMAIL)
    user = UserFactory(username="buyer", email=EMAIL, first_name="Wei", last_name="Zhang")
    PortalAccountFactory(user=user, customer=customer)
    return {"manager": manager, "customer": customer, "user": user}


def _contract(customer: Any, *, start: dt.date, end: dt.date, **fields: Any) -> Any:
    from contracts.models import ContractLine
    from tests.factories import ContractFactory, PlanFactory

    plan = PlanFactory(name="Team plan", price=AMOUNT / 12)
    contract = ContractFactory(
        customer=customer,
        plan=plan,
        start_date=start,
        end_date=end,
        total_amount=AMOUNT,
        annual_value=AMOUNT,
        with_line=False,
        **fields,
    )
    ContractLine.objects.create(
        contract=contract,
        plan=plan,
        description="Team plan, 12 months",
        quantity=1,
        unit_price=AMOUNT,
    )
    return contract


def renewal_to_sign(world: dict[str, Any], *, today: dt.date) -> Any:
    """An active contract ending in 30 days whose renewal quote was sent to the customer."""
    from renewals import services

    end = today + dt.timedelta(days=30)
    contract = _contract(world["customer"], start=end - dt.timedelta(days=364), end=end)
    case, _ = services.case_open(contract=contract, by=world["manager"])
    quote = services.quote_create(case=case, by=world["manager"])
    services.quote_send(quote=quote, by=world["manager"])
    return contract


def contract_awaiting_payment(world: dict[str, Any], *, today: dt.date) -> tuple[Any, Any]:
    """A new contract starting today, signed, its first invoice open: paying starts it."""
    from billing.services import invoice_issue
    from contracts.models import ContractStatus

    contract = _contract(
        world["customer"],
        start=today,
        end=today + dt.timedelta(days=364),
        status=ContractStatus.AWAITING_PAYMENT,
    )
    invoice = invoice_issue(
        customer=world["customer"],
        contract=contract,
        kind="term",
        amount=AMOUNT,
        description="Team plan, first term",
        due_date=today + dt.timedelta(days=14),
        issue_date=today,
    )
    return contract, invoice


def auto_renewing_contract(world: dict[str, Any], *, today: dt.date) -> Any:
    """An active contract ending in 30 days, automatic renewal on (consent from the
    portal, as the switch records it)."""
    from contracts.services import contract_set_auto_renew

    end = today + dt.timedelta(days=30)
    contract = _contract(
        world["customer"], start=end - dt.timedelta(days=364), end=end, auto_renew=False
    )
    contract_set_auto_renew(
        contract=contract,
        enabled=True,
        by=world["user"],
        channel="portal",
        text="Renew this contract automatically at the end of each term.",
        text_version="1",
        ip_address="127.0.0.1",
        user_agent="e2e",
    )
    contract.refresh_from_db()
    return contract


def renewal_notice_deliver(contract: Any) -> None:
    """The reminder sweep on the day 30 days before the end, and the outbox delivery: the
    notice auto-renewal requires is delivered (e-mail to the locmem outbox)."""
    from lifecycle.reminder_sweep import reminders_sweep
    from notifications.selectors import renewal_notice_delivered
    from notifications.services import outbox_deliver_due

    reminders_sweep(as_of=contract.end_date - dt.timedelta(days=30))
    outbox_deliver_due(max_seconds=20)
    assert renewal_notice_delivered(contract=contract), "the renewal notice was not delivered"


# Browser steps ---------------------------------------------------------------------------


def portal_log_in(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}/portal/login/password/")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form[method=post] button[type=submit]")
    page.wait_for_url(re.compile(r".*/portal/$"))


def renewal_sign(page: Any, base_url: str, contract: Any) -> None:
    """Open the contract's renewal page from the contract page and sign the quote."""
    page.goto(base_url + reverse("portal:renewal", args=[contract.pk]))
    page.get_by_label("I have read the contract and accept it.").check()
    page.get_by_label("Type your full name to sign").fill("Zhang Wei")
    page.get_by_role("button", name="Sign the contract").click()
    page.wait_for_url(re.compile(r".*/renewal/$"))
    page.get_by_text("Signed. Thank you!").wait_for()


def providers_configure(settings: Any, base_url: str, **configs: dict[str, str]) -> None:
    """Only the providers given are configured; the others are hidden from customers."""
    settings.PAYMENT_PROVIDERS = {"wechat_pay": {}, "alipay": {}, "card": {}, **configs}
    settings.PAYMENTS_PUBLIC_URL = base_url
    settings.SITE_URL = base_url
