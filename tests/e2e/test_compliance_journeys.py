"""Automatic renewal under the rules where the customer lives, seen in a real browser
(issue 15, points 3 and 7): live server, Debian's Chromium, PostgreSQL.

1. A French customer whose only renewal notice reached them 30 days before the end (after
   the window the law gives: 1 to 3 months before the deadline to refuse) is not renewed:
   the contract-end processing holds the contract; the account manager sees why on the
   contract page (the notice block and the ``auto_renewal_held`` event with its reason)
   and has the task in "My tasks"; the customer sees no renewed contract and the
   "please confirm" message.
2. A German customer's contract auto-renews after its initial term into an open-ended
   monthly one: the portal contract page says it continues month by month and can be
   stopped with one month's notice, the message is in the inbox, and staff see the
   ``continues_open_ended`` event.
3. The positive control: a Chinese customer whose notice e-mail was accepted 30 days before
   the end (China: at least 5 days before) is renewed; the portal shows the successor.

Dates. The views read today's date in the live server's thread, which time_machine cannot
reach, so every date is a whole number of days from ``today`` (``timezone.localdate()`` at
the test's start), and the services get explicit dates: the reminder sweep on the day the
notice went out, the contract-end processing on the day the beat would run it. A month end
cannot break them: each term is 12 months by billing's ``add_months`` (31 January and
29 February included); the French notice 30 days before the end falls on the deadline to
refuse itself (notice period 30 days), and the window closes at least 28 days (a calendar
month) before that deadline, so it is late on any day (the test also asserts it against
the window the rules compute); 30 days before the end is always at least 5 days before it
(China) and inside a term of a year (Germany: no window, any day of the term counts).
What the pages must show is derived from the contracts' own dates.
Screenshots: test-artifacts/compliance-*.png.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.e2e import consent_world as cw
from tests.e2e.ui_world import set_language

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NOTICE_DAYS_BEFORE = 30
MONTHLY = Decimal("500.00")


@pytest.fixture
def today(transactional_db):
    # The shipped rule sets are seeded for every database test (tests/conftest.py).
    return timezone.localdate()


def _auto_renewing(world: dict[str, Any], *, end: dt.date) -> Any:
    """A 12-month term ending on ``end`` at MONTHLY a month (one plan line: the next term
    is priced from the plan, so a one-month successor costs one month), 30 days' notice,
    automatic renewal switched on by the customer in the portal."""
    from billing.services.numbers_and_dates import add_months
    from contracts.models import ContractLine
    from contracts.services import contract_set_auto_renew
    from tests.factories import ContractFactory, PlanFactory

    plan = PlanFactory(name="Service plan", price=MONTHLY, billing_period="monthly")
    contract = ContractFactory(
        customer=world["customer"],
        plan=plan,
        start_date=add_months(end + dt.timedelta(days=1), -12),
        end_date=end,
        total_amount=MONTHLY * 12,
        annual_value=MONTHLY * 12,
        billing_period="annual",
        notice_period_days=30,
        auto_renew=False,
        with_line=False,
    )
    ContractLine.objects.create(
        contract=contract,
        plan=plan,
        description="Service plan",
        quantity=1,
        unit_price=MONTHLY * 12,
    )
    contract_set_auto_renew(
        contract=contract,
        enabled=True,
        by=world["user"],
        channel="portal",
        text="Renew this contract automatically at the end of each term.",
        text_version="e2e-1",
        ip_address="127.0.0.1",
        user_agent=cw.USER_AGENT,
    )
    contract.refresh_from_db()
    return contract


def _notice_sent(contract: Any, *, day: dt.date) -> None:
    """The daily reminder sweep on ``day`` and the outbox delivery: the renewal notice
    e-mail is accepted by the (in-memory) mail server. The delivery happens now, so its
    ``sent_at`` is set to 10:00 that day in the customer's calendar."""
    from lifecycle.reminder_sweep import reminders_sweep
    from notifications.models import Message, MessageKind
    from notifications.reminders.schedule_state import reminder_schedule_recompute
    from notifications.services import outbox_deliver_due

    # The consent's event recomputed the schedule as of today; as it stood on that day:
    reminder_schedule_recompute(contract_ids=[contract.pk], as_of=day)
    reminders_sweep(as_of=day)
    outbox_deliver_due(max_seconds=20)
    zone = ZoneInfo(cw.ZONES[contract.customer.country])
    sent = Message.objects.filter(
        contract=contract,
        kind=MessageKind.RENEWAL_REMINDER,
        channel="email",
        sent_at__isnull=False,
    ).update(sent_at=dt.datetime.combine(day, dt.time(10, 0), tzinfo=zone))
    assert sent == 1, "the renewal notice e-mail was not sent"


def _process_contract_ends(as_of: dt.date) -> Any:
    """What the daily beat task runs (lifecycle.end_tasks), in this process."""
    from lifecycle.contract_ends import process_contract_ends

    return process_contract_ends(as_of=as_of)


def _staff_page(browser: Any, base: str, manager: Any) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.js_errors = errors
    page.goto(f"{base}/staff/login/")
    page.fill("input[name=username]", manager.username)
    page.fill("input[name=password]", cw.PASSWORD)
    page.click("form[action$='/staff/login/'] button[type=submit]")
    page.wait_for_url(re.compile(r".*/staff/$"))
    return page


def _timeline_item(page: Any, label: str) -> Any:
    return page.locator("#timeline li").filter(has_text=label)


def test_a_french_customer_not_notified_in_time_is_not_renewed(
    today, live_server, browser, screenshot
):
    from compliance.selectors import contract_ruleset_snapshot
    from contracts.models import Contract, ContractStatus
    from core.models import Task
    from lifecycle import compliance_renewal

    world = cw.customer_build(
        country="FR", email="achats@lumiere.example", name="Atelier Lumière SARL"
    )
    contract = _auto_renewing(world, end=today)
    noticed = contract.end_date - dt.timedelta(days=NOTICE_DAYS_BEFORE)
    window = compliance_renewal.term_notice_window(contract, contract_ruleset_snapshot(contract))
    assert window is not None and window.latest < noticed, "the notice must miss the window"
    _notice_sent(contract, day=noticed)

    report = _process_contract_ends(as_of=contract.end_date)

    assert (report.auto_renewed, report.auto_renew_blocked) == (0, 1)
    assert not Contract.objects.filter(predecessor=contract).exists()
    contract.refresh_from_db()
    assert contract.status == ContractStatus.ACTIVE  # its last day: it ends tomorrow
    latest = window.latest.isoformat()

    # Staff: the contract page says it was held, why, and where the task is.
    base = live_server.url
    staff = _staff_page(browser, base, world["manager"])
    staff.goto(base + reverse("contracts:detail", args=[contract.pk]))
    held = _timeline_item(staff, "Automatic renewal held")
    assert held.count() == 1
    assert latest in held.inner_text() and "FR" in held.inner_text()
    task = Task.objects.get(contract=contract, dedupe_key=f"auto-renew-blocked:{contract.pk}")
    assert task.assignee == world["manager"] and task.done_at is None
    assert latest in task.details
    notice = staff.locator("#auto-renewal-state[data-state=held]")
    assert notice.is_visible()
    assert notice.inner_text().startswith("Automatic renewal held:")
    assert latest in notice.inner_text()
    screenshot(staff, "compliance-fr-1-staff-contract")

    # The notice block leads to the task in "My tasks".
    notice.get_by_role("link", name=f"Your task: {task.title}").click()
    staff.wait_for_url(re.compile(r".*/staff/tasks/$"))
    row = staff.locator("tbody tr").filter(has_text=task.title)
    assert row.count() == 1
    assert contract.number in row.inner_text() and latest in row.inner_text()
    screenshot(staff, "compliance-fr-2-staff-tasks")
    # The same block in Chinese.
    set_language(staff.context, base, "zh-hans")
    staff.goto(base + reverse("contracts:detail", args=[contract.pk]))
    notice = staff.locator("#auto-renewal-state[data-state=held]")
    assert notice.inner_text().startswith("自动续约已暂停：")
    assert f"您的任务：{task.title}" in notice.inner_text()
    screenshot(staff, "compliance-fr-2b-staff-contract-zh")
    assert staff.js_errors == []
    staff.context.close()

    # The customer: no renewed contract, the contract says it waits, the message asks.
    page = cw.portal_page(browser, base, email=world["email"])
    listed = set(re.findall(r"HT-[\w-]+", page.locator("main").inner_text()))
    assert listed == {contract.number}
    screenshot(page, "compliance-fr-3-portal-home")
    page.goto(base + reverse("portal:contract-detail", args=[contract.pk]))
    notice = page.locator("#auto-renewal-state[data-state=held]")
    assert notice.get_by_role("heading", name="Not renewed automatically").is_visible()
    assert "without your confirmation" in notice.inner_text()
    rights = page.locator("#automatic-renewal").inner_text()
    assert "not renewed automatically" in rights and "renews when its term ends" not in rights
    history = page.locator("section[aria-labelledby=history-heading]")
    assert history.get_by_text("Not renewed automatically: waiting for your confirmation").count()
    screenshot(page, "compliance-fr-4-portal-contract")
    assert f"Contract {contract.number}: please confirm your renewal" in cw.inbox_subjects(
        page, base
    )
    screenshot(page, "compliance-fr-5-portal-inbox")
    assert page.js_errors == []
    page.context.close()


def test_a_german_customers_contract_becomes_open_ended(today, live_server, browser, screenshot):
    from contracts.models import Contract, ContractStatus
    from lifecycle import auto_renewal

    world = cw.customer_build(country="DE", email="einkauf@mueller.example", name="Müller GmbH")
    contract = _auto_renewing(world, end=today - dt.timedelta(days=1))
    _notice_sent(contract, day=contract.end_date - dt.timedelta(days=NOTICE_DAYS_BEFORE))

    report = _process_contract_ends(as_of=today)

    assert report.auto_renewed == 1
    successor = Contract.objects.get(predecessor=contract)
    assert successor.status == ContractStatus.ACTIVE and successor.start_date == today
    assert successor.billing_period == "monthly" and successor.notice_period_days == 0
    assert successor.total_amount == MONTHLY and auto_renewal.is_open_ended(successor)

    base = live_server.url
    page = cw.portal_page(browser, base, email=world["email"])
    page.goto(base + reverse("portal:contract-detail", args=[successor.pk]))
    notice = page.locator("#auto-renewal-state[data-state=open-ended]")
    assert notice.is_visible()
    assert (
        "Continues month by month; you can stop it any time with one month's notice."
        in notice.inner_text()
    )
    history = page.locator("section[aria-labelledby=history-heading]")
    assert history.get_by_text("Continues with no fixed end: you can end it at any time").count()
    screenshot(page, "compliance-de-1-portal-successor")
    subjects = cw.inbox_subjects(page, base)
    assert f"Contract {contract.number} continues with no fixed end" in subjects
    screenshot(page, "compliance-de-2-portal-inbox")
    # The same block in Chinese (the portal's language switch).
    page.goto(base + reverse("portal:contract-detail", args=[successor.pk]))
    page.locator("button[name=language][value=zh-hans]").click()
    page.wait_for_selector("html[lang=zh-hans]")
    notice = page.locator("#auto-renewal-state[data-state=open-ended]")
    assert notice.get_by_role("heading", name="无固定期限").is_visible()
    assert "按月延续；您可随时终止，只需提前 1 个月通知。" in notice.inner_text()
    screenshot(page, "compliance-de-2b-portal-successor-zh")
    assert page.js_errors == []
    page.context.close()

    staff = _staff_page(browser, base, world["manager"])
    staff.goto(base + reverse("contracts:detail", args=[successor.pk]))
    event = _timeline_item(staff, "Continues with no fixed end")
    assert event.count() == 1 and "1 month" in event.inner_text()
    notice = staff.locator("#auto-renewal-state[data-state=open-ended]")
    assert "at most 1 month's notice" in notice.inner_text()
    screenshot(staff, "compliance-de-3-staff-successor")
    # The term it continues from shows neither block: it was renewed.
    staff.goto(base + reverse("contracts:detail", args=[contract.pk]))
    assert staff.locator("#auto-renewal-state").count() == 0
    assert staff.js_errors == []
    staff.context.close()


def test_a_chinese_customer_notified_in_time_is_renewed(today, live_server, browser, screenshot):
    from contracts.models import Contract, ContractStatus
    from lifecycle import auto_renewal

    world = cw.customer_build(
        country="CN", email="caigou@yunfan.example", name="北京云帆科技有限公司"
    )
    contract = _auto_renewing(world, end=today - dt.timedelta(days=1))
    _notice_sent(contract, day=contract.end_date - dt.timedelta(days=NOTICE_DAYS_BEFORE))

    report = _process_contract_ends(as_of=today)

    assert (report.auto_renewed, report.auto_renew_blocked) == (1, 0)
    contract.refresh_from_db()
    successor = Contract.objects.get(predecessor=contract)
    assert contract.status == ContractStatus.RENEWED
    assert successor.status == ContractStatus.ACTIVE and not auto_renewal.is_open_ended(successor)
    assert (successor.end_date - successor.start_date).days >= 364

    base = live_server.url
    page = cw.portal_page(browser, base, email=world["email"])
    main = page.locator("main")
    assert successor.number in main.inner_text() and contract.number in main.inner_text()
    screenshot(page, "compliance-cn-1-portal-home")
    page.goto(base + reverse("portal:contract-detail", args=[successor.pk]))
    assert page.locator("#auto-renewal-state").count() == 0
    assert successor.number in page.get_by_role("heading", level=1).inner_text()
    screenshot(page, "compliance-cn-2-portal-successor")
    subjects = cw.inbox_subjects(page, base)
    assert f"Contract {contract.number} renewed automatically" in subjects
    assert not [s for s in subjects if "please confirm" in s]
    assert page.js_errors == []
    page.context.close()
