"""The data and browser steps of the consent, withdrawal and undo journeys
(tests/e2e/test_consent_and_undo.py).

One portal customer per journey, in the country the journey is about (``customer_build``),
and their contracts:

- ``running_contract``: an active 12-month contract, automatic renewal off;
- ``signed_contract``: a contract signed a few days ago that started that day, its first
  invoice paid (inside the EU's 14-day withdrawal period);
- ``auto_renewed_contract``: a contract whose term ended a few days ago and that the real
  ``lifecycle.auto_renewal.contract_auto_renew`` renewed, the renewal notice having gone
  out 30 days before the end; the renewal invoice paid.

Dates. The portal views read today's date (``timezone.localdate()``) in the live server's
thread, and time_machine cannot be used with that thread; so every date here is a whole
number of days from the ``today`` the test passes in (``timezone.localdate()`` at its
start), and the services are called with explicit dates. Term ends come from billing's
``term_end``/``add_months`` (a 12-month term whatever the month: 31 January, 29 February),
and what the pages must show is derived from the contracts' own dates, so a month end, a
year end or a leap day changes the numbers, never the outcome. The one clock left is the
moment of a write (an event's or a consent's ``at``, a message's ``sent_at``): each falls
on ``today`` or is set explicitly (``NOTICE_DAYS_BEFORE``).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

PASSWORD = "pw-Secret-123"
# A total whose daily value is exact in a 365- and a 366-day term (365 x 366 = 133,590),
# so that the pro-rata refund can be checked without rounding, whatever the year.
AMOUNT = Decimal("13359.00")
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) RenewDeskE2E/1.0 HeadlessChrome"
# The renewal notice of auto_renewed_contract reached the customer this many days before
# the end of the term (China's rule: at least 5).
NOTICE_DAYS_BEFORE = 30
ZONES = {"CN": "Asia/Shanghai", "FR": "Europe/Paris", "DE": "Europe/Berlin"}


def customer_build(*, country: str, email: str, name: str, language: str = "en") -> dict[str, Any]:
    from tests.factories import (
        ContactFactory,
        CustomerFactory,
        PortalAccountFactory,
        StaffFactory,
        UserFactory,
    )

    manager = StaffFactory(username=f"am-{country.lower()}", email=f"am-{country.lower()}@rd.ex")
    customer = CustomerFactory(
        name=name, account_manager=manager, language=language, country=country
    )
    ContactFactory(customer=customer, name="Buyer", email=email)
    user = UserFactory(username=email, email=email, language=language)
    PortalAccountFactory(user=user, customer=customer)
    return {"manager": manager, "customer": customer, "user": user, "email": email}


def _contract(customer: Any, *, start: dt.date, end: dt.date, **fields: Any) -> Any:
    """One line without a plan: the next term keeps its price (no price list involved)."""
    from tests.factories import ContractFactory

    fields.setdefault("billing_period", "annual")
    return ContractFactory(
        customer=customer,
        start_date=start,
        end_date=end,
        total_amount=AMOUNT,
        annual_value=AMOUNT,
        **fields,
    )


def _paid(contract: Any, *, due: dt.date) -> Any:
    from billing.services import invoice_plan_issue, payment_record

    (invoice,) = invoice_plan_issue(contract=contract, installments=1, first_due_date=due)
    payment_record(
        invoice=invoice, amount=invoice.amount, method="bank_transfer", reference=contract.number
    )
    return invoice


def running_contract(world: dict[str, Any], *, today: dt.date) -> Any:
    """Active for 100 days of a 12-month term, automatic renewal off."""
    from billing.services import term_end

    start = today - dt.timedelta(days=100)
    return _contract(world["customer"], start=start, end=term_end(start, 12), auto_renew=False)


def signed_contract(world: dict[str, Any], *, today: dt.date, days_ago: int = 3) -> Any:
    """Signed ``days_ago`` days ago at noon (the customer's time), started that day for 12
    months, its invoice paid: the withdrawal period (14 days) is open today."""
    from billing.services import term_end

    customer = world["customer"]
    start = today - dt.timedelta(days=days_ago)
    signed_at = dt.datetime.combine(start, dt.time(12, 0), tzinfo=ZoneInfo(ZONES[customer.country]))
    contract = _contract(customer, start=start, end=term_end(start, 12), signed_at=signed_at)
    _paid(contract, due=start)
    contract.refresh_from_db()
    return contract


def auto_renewed_contract(
    world: dict[str, Any], *, today: dt.date, ended_days_ago: int = 3
) -> tuple[Any, Any]:
    """A 12-month term that ended ``ended_days_ago`` days ago, renewed by the real
    automatic renewal on the day after its end. The customer had switched automatic
    renewal on in the portal; the reminder sweep ran ``NOTICE_DAYS_BEFORE`` days before
    the end and its e-mail was accepted by the (in-memory) mail server that day: the
    delivery happens now, so its ``sent_at`` is set to that day, inside China's window.
    Returns (old term, successor); the successor's invoice is paid."""
    from billing.models import Invoice
    from billing.services import payment_record
    from billing.services.numbers_and_dates import add_months
    from contracts.models import Contract
    from contracts.services import contract_set_auto_renew
    from lifecycle.auto_renewal import RENEWED, contract_auto_renew
    from lifecycle.reminder_sweep import reminders_sweep
    from notifications.models import Message, MessageKind
    from notifications.reminders.schedule_state import reminder_schedule_recompute
    from notifications.services import outbox_deliver_due

    end = today - dt.timedelta(days=ended_days_ago)
    old = _contract(
        world["customer"],
        start=add_months(end + dt.timedelta(days=1), -12),
        end=end,
        auto_renew=False,
    )
    contract_set_auto_renew(
        contract=old,
        enabled=True,
        by=world["user"],
        channel="portal",
        text="Renew this contract automatically at the end of each term.",
        text_version="e2e-1",
        ip_address="127.0.0.1",
        user_agent=USER_AGENT,
    )
    noticed = end - dt.timedelta(days=NOTICE_DAYS_BEFORE)
    # The consent's event made the schedule recompute as of today, after this term's end
    # (no reminder due any more); the schedule as it stood on the day of the sweep:
    reminder_schedule_recompute(contract_ids=[old.pk], as_of=noticed)
    reminders_sweep(as_of=noticed)
    outbox_deliver_due(max_seconds=20)
    zone = ZoneInfo(ZONES[world["customer"].country])
    sent = Message.objects.filter(
        contract=old, kind=MessageKind.RENEWAL_REMINDER, channel="email", sent_at__isnull=False
    ).update(sent_at=dt.datetime.combine(noticed, dt.time(10, 0), tzinfo=zone))
    assert sent, "the renewal notice e-mail was not sent"
    assert contract_auto_renew(old.pk, as_of=end + dt.timedelta(days=1)) == RENEWED
    old.refresh_from_db()
    successor = Contract.objects.get(predecessor=old)
    invoice = Invoice.objects.get(contract=successor, kind="term")
    payment_record(
        invoice=invoice, amount=invoice.amount, method="bank_transfer", reference=successor.number
    )
    successor.refresh_from_db()
    return old, successor


# Browser steps ---------------------------------------------------------------------------


def portal_page(browser: Any, base_url: str, *, email: str, language: str = "en") -> Any:
    """A fresh browser context (our user agent, the interface language by cookie) with the
    customer logged in through the password form; JS and console errors collected on
    ``page.js_errors``."""
    from django.conf import settings

    context = browser.new_context(
        viewport={"width": 1280, "height": 900},
        locale="zh-CN" if language == "zh-hans" else "en-US",
        user_agent=USER_AGENT,
    )
    context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": base_url}]
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.js_errors = errors
    page.goto(f"{base_url}/portal/login/password/")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form[method=post] button[type=submit]")
    page.wait_for_url(re.compile(r".*/portal/$"))
    return page


def inbox_subjects(page: Any, base_url: str) -> list[str]:
    page.goto(f"{base_url}/portal/messages/")
    return [s.strip() for s in page.locator("main h2").all_inner_texts()]
