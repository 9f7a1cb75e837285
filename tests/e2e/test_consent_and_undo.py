"""The customer's compliance rights in a real browser (issue 15, points 4, 5 and 7): live
server, Debian's Chromium, PostgreSQL.

1. A Chinese customer switches automatic renewal on from the contract page after reading
   the prominent disclosure (next term, price, billing, how to switch off); the ledger
   keeps their IP, user agent and the very text shown; they switch it off on one screen;
   both confirmations reach their portal inbox and their e-mail.
2. A French customer withdraws from a contract signed three days ago through "Withdraw
   from contract here": the confirmation page names the contract and the refund; the
   contract ends, a credit note is issued and the acknowledgement arrives.
3. A German customer finds "Verträge hier kündigen / Cancel contracts here" on portal
   pages and reaches the cancellation flow through it.
4. A customer whose contract the real automatic renewal renewed three days ago undoes it
   inside the window: the refund first, then the confirmation; both terms end, the credit
   note is issued and named in the confirmation.

Dates: tests/e2e/consent_world.py (whole days from today, explicit dates to the services;
the views' own today is the same day). Screenshots: test-artifacts/consent-*.png.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from tests.e2e import consent_world as cw
from tests.e2e.dates import english_date

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def today(transactional_db):
    # The shipped rule sets are seeded for every database test (tests/conftest.py).
    return timezone.localdate()


def _refund(contract, *, today: dt.date) -> Decimal:
    """What the pro-rata policy gives back, worked out here: the days from the term's
    start to yesterday are used; AMOUNT is a whole number of cents a day in any term."""
    days = (contract.end_date - contract.start_date).days + 1
    used = (today - contract.start_date).days
    daily = cw.AMOUNT / days
    assert daily == daily.quantize(Decimal("0.01"))
    return cw.AMOUNT - daily * used


def _money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def _deliver() -> None:
    from notifications.services import outbox_deliver_due

    outbox_deliver_due(max_seconds=20)


def test_a_chinese_customer_switches_automatic_renewal_on_and_off(
    today, live_server, browser, screenshot
):
    from billing.services import term_end
    from contracts.models import AutoRenewConsent, ConsentKind

    world = cw.customer_build(
        country="CN", email="buyer@yunqi.example", name="杭州云栖软件有限公司", language="zh-hans"
    )
    contract = cw.running_contract(world, today=today)
    base = live_server.url
    page = cw.portal_page(browser, base, email=world["email"], language="zh-hans")

    # The contract page says it is off and offers the switch.
    page.goto(base + reverse("portal:contract-detail", args=[contract.pk]))
    rights = page.locator("#automatic-renewal")
    assert rights.locator("[data-auto-renew=off]").inner_text().strip() == "自动续约：关闭"
    screenshot(page, "consent-1-contract-off")
    rights.get_by_role("link", name="开启").click()
    page.wait_for_url(re.compile(rf".*/contracts/{contract.pk}/auto-renewal/$"))

    # The prominent disclosure: next term, its price, billing, how to switch off.
    box = page.locator("#auto-renew-disclosure")
    assert "alert" in (box.get_attribute("class") or "")
    assert box.get_by_text("重要提示：自动续约").is_visible()
    shown = box.locator("p").last.inner_text().strip()
    next_start = contract.end_date + dt.timedelta(days=1)
    for fact in (
        contract.number,
        next_start.isoformat(),
        term_end(next_start, 12).isoformat(),
        f"CNY {_money(cw.AMOUNT)}（按年计费）",  # shared money format, the period as a phrase
        "“关闭”",  # how to switch it off
    ):
        assert fact in shown, fact
    screenshot(page, "consent-2-disclosure-zh")
    assert not AutoRenewConsent.objects.filter(contract=contract).exists()  # GET: nothing

    page.get_by_label("本人已阅读上述内容并开启自动续约。").check()
    page.get_by_role("button", name="开启自动续约").click()
    page.wait_for_url(re.compile(rf".*/contracts/{contract.pk}/$"))
    assert page.get_by_text("自动续约已开启。我们已向您发送确认。").is_visible()
    assert rights.locator("[data-auto-renew=on]").inner_text().strip() == "自动续约：开启"
    screenshot(page, "consent-3-contract-on")
    on = AutoRenewConsent.objects.get(contract=contract, kind=ConsentKind.AUTO_RENEW)
    assert on.enabled and on.channel == "portal"
    assert (on.ip_address, on.user_agent) == ("127.0.0.1", cw.USER_AGENT)
    assert " ".join(on.text.split()) == " ".join(shown.split())
    assert on.actor_id == world["user"].pk

    # Off: one screen, one button, no box to tick.
    rights.get_by_role("link", name="关闭").click()
    page.wait_for_url(re.compile(rf".*/contracts/{contract.pk}/auto-renewal/$"))
    assert page.locator("input[type=checkbox]").count() == 0
    off_text = page.locator("#auto-renew-disclosure").inner_text().strip()
    screenshot(page, "consent-4-switch-off-zh")
    page.get_by_role("button", name="关闭自动续约").click()
    page.wait_for_url(re.compile(rf".*/contracts/{contract.pk}/$"))
    assert page.get_by_text("自动续约已关闭。我们已向您发送确认。").is_visible()
    assert rights.locator("[data-auto-renew]").get_attribute("data-auto-renew") == "off"
    off = AutoRenewConsent.objects.filter(contract=contract).latest("at", "id")
    assert not off.enabled and off.text == off_text
    assert (off.ip_address, off.user_agent) == ("127.0.0.1", cw.USER_AGENT)
    contract.refresh_from_db()
    assert not contract.auto_renew

    # Both confirmations reach the customer: portal inbox and e-mail, in Chinese.
    _deliver()
    subjects = cw.inbox_subjects(page, base)
    assert f"合同 {contract.number} 的自动续约已开启" in subjects
    assert f"合同 {contract.number} 的自动续约已关闭" in subjects
    screenshot(page, "consent-5-inbox-zh")
    mailed = [m for m in mail.outbox if world["email"] in m.to]
    assert {m.subject for m in mailed} >= {
        f"合同 {contract.number} 的自动续约已开启",
        f"合同 {contract.number} 的自动续约已关闭",
    }
    assert any(" ".join(shown.split()) in " ".join(m.body.split()) for m in mailed)
    assert not page.js_errors, page.js_errors
    page.context.close()


def test_an_eu_customer_withdraws_through_the_button(today, live_server, browser, screenshot):
    from billing.models import CreditNote
    from contracts.models import Contract, ContractStatus

    world = cw.customer_build(country="FR", email="achat@lumiere.example", name="Lumière SARL")
    contract = cw.signed_contract(world, today=today, days_ago=3)
    refund = _refund(contract, today=today)
    base = live_server.url
    page = cw.portal_page(browser, base, email=world["email"])

    page.goto(base + reverse("portal:contract-detail", args=[contract.pk]))
    last_day = english_date(contract.start_date + dt.timedelta(days=14))
    assert page.get_by_text(f"You can withdraw from this contract until {last_day}.").is_visible()
    page.get_by_role("link", name="Withdraw from contract here").click()
    page.wait_for_url(re.compile(rf".*/contracts/{contract.pk}/withdraw/$"))

    # The confirmation page names the contract and what comes back; nothing changed yet.
    main = page.locator("main")
    assert main.get_by_text(contract.number, exact=True).is_visible()
    assert page.locator("[data-refund]").get_attribute("data-refund") == str(refund)
    assert f"CNY {_money(refund)}" in page.locator("[data-refund]").inner_text()
    screenshot(page, "consent-6-withdrawal-confirm")
    assert Contract.objects.get(pk=contract.pk).status == ContractStatus.ACTIVE

    page.get_by_role("button", name="Confirm withdrawal").click()
    page.wait_for_url(re.compile(rf".*/contracts/{contract.pk}/$"))
    assert page.get_by_text(f"You have withdrawn from contract {contract.number}.").is_visible()
    assert page.get_by_role("link", name="Withdraw from contract here").count() == 0
    # Nothing left to switch on an ended contract: no automatic-renewal section.
    assert page.locator("#automatic-renewal").count() == 0
    screenshot(page, "consent-7-withdrawn")
    contract.refresh_from_db()
    assert contract.status == ContractStatus.TERMINATED and not contract.auto_renew
    note = CreditNote.objects.get(contract=contract)
    assert note.amount == refund

    _deliver()
    assert f"Withdrawal from contract {contract.number} received" in cw.inbox_subjects(page, base)
    assert page.get_by_text(note.number).first.is_visible()
    screenshot(page, "consent-8-withdrawal-inbox")
    assert not page.js_errors, page.js_errors
    page.context.close()


def test_a_german_customer_cancels_through_the_cancel_contracts_button(
    today, live_server, browser, screenshot
):
    world = cw.customer_build(country="DE", email="einkauf@mueller.example", name="Müller GmbH")
    contract = cw.running_contract(world, today=today)
    base = live_server.url
    page = cw.portal_page(browser, base, email=world["email"])
    button = page.get_by_role("link", name="Verträge hier kündigen / Cancel contracts here")

    for url in (reverse("portal:messages"), reverse("portal:contract-detail", args=[contract.pk])):
        page.goto(base + url)
        assert button.is_visible(), url
    page.goto(base + reverse("portal:home"))
    screenshot(page, "consent-9-cancel-button")
    button.click()
    page.wait_for_url(re.compile(r".*/portal/cancel-contracts/$"))
    assert page.get_by_role("heading", name=re.compile("Verträge hier kündigen")).is_visible()
    screenshot(page, "consent-10-cancel-contracts")
    page.get_by_role("link", name=f"Cancel contract {contract.number}").click()
    page.wait_for_url(re.compile(rf".*/portal/contracts/{contract.pk}/cancel/$"))
    assert page.get_by_role("heading", name=f"End contract {contract.number}").is_visible()
    screenshot(page, "consent-11-cancellation-start")
    assert not page.js_errors, page.js_errors
    page.context.close()


def test_a_customer_undoes_an_automatic_renewal_inside_the_window(
    today, live_server, browser, screenshot, settings
):
    from billing.models import CreditNote
    from contracts.models import ContractStatus

    S = ContractStatus
    settings.RENEWDESK = {**settings.RENEWDESK, "AUTO_RENEWAL_UNDO_DAYS": 14}
    world = cw.customer_build(country="CN", email="buyer@xinghe.example", name="北京星河科技")
    old, new = cw.auto_renewed_contract(world, today=today, ended_days_ago=3)
    assert (old.status, new.status) == (S.RENEWED, S.ACTIVE)
    refund = _refund(new, today=today)  # two days of the new term used
    base = live_server.url
    page = cw.portal_page(browser, base, email=world["email"])

    page.goto(base + reverse("portal:contract-detail", args=[new.pk]))
    page.get_by_role("link", name="Undo this automatic renewal").click()
    page.wait_for_url(re.compile(rf".*/contracts/{new.pk}/undo-renewal/$"))
    # The refund first, nothing changed yet.
    assert page.locator("[data-refund]").get_attribute("data-refund") == str(refund)
    assert f"CNY {_money(refund)}" in page.locator("[data-refund]").inner_text()
    assert page.get_by_text(old.number).first.is_visible()
    screenshot(page, "consent-12-undo-confirm")
    new.refresh_from_db()
    assert new.status == S.ACTIVE

    page.get_by_role("button", name="Undo the renewal").click()
    page.wait_for_url(re.compile(rf".*/contracts/{old.pk}/$"))
    assert page.get_by_text(
        f"The automatic renewal is undone. CNY {_money(refund)} will be refunded"
    ).is_visible()
    screenshot(page, "consent-13-undone")
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.status, new.status) == (S.EXPIRED, S.TERMINATED)
    note = CreditNote.objects.get(contract=new)
    assert note.amount == refund

    assert page.locator("#automatic-renewal").count() == 0
    # Not renewed after all: no "You are renewed until", automatic renewal off.
    assert page.get_by_text("You are renewed until").count() == 0
    assert page.get_by_text("This contract will not be renewed.").is_visible()
    summary = page.locator("section[aria-labelledby=summary-heading]")
    assert summary.locator("dt:text-is('Automatic renewal') + dd").inner_text() == "Off"
    page.goto(base + reverse("portal:contract-detail", args=[new.pk]))
    assert page.get_by_role("link", name="Undo this automatic renewal").count() == 0
    assert page.locator("#automatic-renewal").count() == 0
    screenshot(page, "consent-14-successor-ended")
    # The credit note the confirmation names: on the contract page, then its own page.
    page.get_by_role("link", name=note.number).click()
    page.wait_for_url(re.compile(rf".*/credit-notes/{note.pk}/$"))
    assert f"CNY {_money(refund)}" in page.locator("main").inner_text()
    screenshot(page, "consent-14b-credit-note")

    _deliver()
    assert f"Automatic renewal of contract {old.number} undone" in cw.inbox_subjects(page, base)
    assert page.get_by_text(note.number).first.is_visible()
    screenshot(page, "consent-15-undo-inbox")
    assert not page.js_errors, page.js_errors
    page.context.close()
