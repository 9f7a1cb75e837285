"""The demo tour (issue #13): what someone trying RenewDesk after `make run` clicks, on
seed_demo data, in Debian's Chromium; every response below 400 and no console error.

1. Staff: chen.jie and wang.li work their pipeline, zhao.min (team lead) the whole team's:
   every card's case page and its primary action (prepare the quote, save it, send it;
   record the paper signature; record the payment; otherwise log a contact), and one of
   their tasks done. Then every queue as zhao.min: cancellations (each confirmed through
   the "are you sure" page), failed notifications, invoices (every one; the PDF of one per
   status and a receipt), at-risk (each contract), win-back (an offer), customers (each;
   an interaction logged).
2. Portal: every demo customer seed_demo lists logs in through a login link and opens
   every page and document the portal links to.
3. The journeys: the "ready to sign" customer reviews the quote, signs and reaches the
   invoice; the "retention offer on cancel" customer cancels through the one offer.

The seed is relative to today, like `make run`, followed by what scripts/run_local.sh runs
once at start (today's renewal cases, the propensity scores). The e2e tests do not run under
faketime (Chromium's timers do not survive it, docs/testing.md); to take the tour on another
day, TOUR_DATE=2028-02-29 moves this process's clock there with time_machine (the browser
keeps its own). Screenshots: test-artifacts/tour-*.png, and tour-failed-* when a step fails.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from .tour import crawl, portal_page, staff_page, watched_context

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SEED = ("--customers", "10", "--contracts", "30", "--seed", "9")
TOUR_DATE = os.environ.get("TOUR_DATE", "")
# A tiny but real PDF for the paper signature.
SCAN = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def tour_day() -> Iterator[None]:
    if not TOUR_DATE:
        yield
        return
    import time_machine

    # 02:00 UTC is 10:00 in Shanghai: the same date in both; the clock runs on from there.
    start = dt.datetime.combine(dt.date.fromisoformat(TOUR_DATE), dt.time(2), tzinfo=dt.UTC)
    with time_machine.travel(start, tick=True):
        yield


@pytest.fixture
def demo(tour_day, transactional_db, settings, tmp_path) -> dict[str, Any]:
    from core.demo.logins import portal_logins
    from relations.contact_plans import contact_plan_sweep
    from renewals.services import renewal_cases_open_due

    settings.MEDIA_ROOT = str(tmp_path / "media")
    call_command("seed_demo", *SEED, stdout=io.StringIO())
    # What scripts/run_local.sh does right after seeding: the daily sweeps that open today's
    # renewal cases and plan today's customer contacts, and the nightly propensity scores
    # (the at-risk list), run once.
    renewal_cases_open_due()
    contact_plan_sweep(as_of=timezone.localdate())
    call_command("train_propensity", stdout=io.StringIO())
    logins = portal_logins()
    assert logins, "seed_demo made no portal customers"
    return {"today": timezone.localdate(), "portal": logins}


def _password(username: str) -> str:
    from core.demo.data import ADMIN_PASSWORD, DEMO_PASSWORD

    return ADMIN_PASSWORD if username == "admin" else DEMO_PASSWORD


def _labelled(demo: dict[str, Any], prefix: str, number: str):
    """The listed portal customer whose label starts with ``prefix``, and the contract the
    label names (``number``: a pattern with one group around the contract number)."""
    from contracts.models import Contract

    found = [login for login in demo["portal"] if login.label.startswith(prefix)]
    assert found, f"no portal customer labelled {prefix!r}: {[p.label for p in demo['portal']]}"
    contract = Contract.objects.get(number=re.search(number, found[0].label).group(1))
    return found[0], contract


def _go(locator: Any) -> None:
    """Click a link or a submit button and wait for the page it leads to."""
    with locator.page.expect_navigation():
        locator.click()


def _no_error_message(page: Any, what: str) -> None:
    errors = page.locator(".messages .alert-danger, .portal-messages .alert-danger")
    assert errors.count() == 0, f"{what}: {errors.all_inner_texts()} on {page.url}"


# --- 1. Staff ------------------------------------------------------------------------------


def _stage(page: Any) -> str:
    return page.locator("#case-stage").inner_text().strip()


def _case_primary_action(page: Any, *, today: dt.date, n: int) -> str:
    """Do what the case page asks for next; returns what was done. The demo staff read
    Chinese or English: forms are found by where they post, not by their words."""
    before = _stage(page)
    prepare = page.locator("form[action$='/quote/'] button[type=submit]")
    edit = page.locator("a[href$='/quote/edit/']")
    send = page.locator("form[action$='/quote/send/'] button[type=submit]")
    paper = page.locator("form[action$='/quote/sign-offline/']")
    payment = page.locator("form[action*='/pay/']")
    if prepare.count():
        _go(prepare)
        page.wait_for_url(re.compile(r".*/quote/edit/$"))
        _no_error_message(page, "prepare the quote")
        _save_quote(page)
        _go(send)
        done = "quote prepared, saved and sent"
    elif send.count():
        if edit.count():
            _go(edit)
            page.wait_for_url(re.compile(r".*/quote/edit/$"))
            _save_quote(page)
        _go(send)
        done = "quote sent"
    elif paper.count():
        paper.locator("input[name=signer_name]").fill("王芳 Wang Fang")
        paper.locator("input[name=signed_on]").fill(today.isoformat())
        paper.locator("input[name=scan]").set_input_files(
            {"name": "signed.pdf", "mimeType": "application/pdf", "buffer": SCAN}
        )
        _go(paper.locator("button[type=submit]"))
        done = "paper signature recorded"
    elif payment.count():
        form = payment.first
        form.locator("xpath=ancestor::details").locator("summary").click()
        amount = form.locator("input[name=amount]").input_value()
        assert amount, "the payment form offers the invoice's balance"
        form.locator("select[name=method]").select_option("bank_transfer")
        form.locator("input[name=reference]").fill(f"TOUR-{today:%Y%m%d}-{n:03d}")
        form.locator("input[name=received_on]").fill(today.isoformat())
        _go(form.locator("button[type=submit]"))
        done = "payment recorded"
    else:
        form = page.locator("form[action$='/contact/']")
        form.locator("input[name=note]").fill("Called: all fine.")
        _go(form.locator("button[type=submit]"))
        done = "contact logged"
    _no_error_message(page, done)
    if done != "contact logged":
        assert _stage(page) != before, f"{done}: the stage stayed {before} on {page.url}"
    return done


def _save_quote(page: Any) -> None:
    _go(page.locator("main form[method=post] button[type=submit]").last)
    page.wait_for_url(re.compile(r".*/cases/\d+/$"))
    _no_error_message(page, "save the quote")


def _work_the_pipeline(page: Any, live_server: Any, *, today: dt.date, start: int) -> list:
    page.goto(f"{live_server.url}/staff/renewals/")
    cards = page.eval_on_selector_all(
        "a.pipeline-card", "els => els.map(e => [e.href, e.dataset.stage])"
    )
    done = []
    for i, (href, stage) in enumerate(cards):
        page.goto(href)
        done.append((stage, _case_primary_action(page, today=today, n=start + i)))
    return done


def test_staff_work_every_pipeline_card_and_every_queue(demo, live_server, browser, screenshot):
    from core.models import Task
    from renewals.models import RenewalCase

    today = demo["today"]
    assert RenewalCase.objects.count() >= 3
    done: dict[str, list] = {}
    tasks_done = 0
    for n, username in enumerate(("chen.jie", "wang.li", "zhao.min")):
        with watched_context(browser, username) as (context, watch):
            page = staff_page(context, live_server, username=username, password=_password(username))
            done[username] = _work_the_pipeline(page, live_server, today=today, start=100 * n)
            page.goto(f"{live_server.url}/staff/renewals/")
            screenshot(page, f"tour-pipeline-{username}")
            tasks_done += _tasks(page, live_server)
            assert not watch.problems, watch.report()
    assert done["chen.jie"] and done["wang.li"], done
    # The lead sees the whole team's cards.
    assert len(done["zhao.min"]) >= len(done["chen.jie"]) + len(done["wang.li"]), done
    assert tasks_done >= 1, f"no task to complete ({Task.objects.count()} tasks)"

    with watched_context(browser, "zhao.min, queues") as (context, watch):
        page = staff_page(context, live_server, username="zhao.min", password=_password("zhao.min"))
        _cancellation_queue(page, live_server)
        _failed_notifications(page, live_server)
        _invoices(page, live_server, watch)
        _at_risk(page, live_server)
        _winback(page, live_server)
        _customers(page, live_server)
        screenshot(page, "tour-customer-interaction")
        _due_contacts(page, live_server)
        assert not watch.problems, watch.report()


def _links(page: Any, selector: str) -> list[str]:
    return page.eval_on_selector_all(selector, "els => els.map(e => e.href)")


def _cancellation_queue(page: Any, live_server: Any) -> None:
    page.goto(f"{live_server.url}/staff/cancellations/")
    items = _links(page, "table a[href*='/staff/cancellations/']")
    assert items, "the demo has cancellation requests"
    for href in items:
        page.goto(href)
        confirm = page.locator("form[method=get][action$='/confirm/'] button[type=submit]")
        if confirm.count():
            _go(confirm)
            page.wait_for_url(re.compile(r".*/confirm/\?.*"))
            _go(page.locator("form[method=post][action$='/confirm/'] button[type=submit]"))
            page.wait_for_url(re.compile(r".*/staff/cancellations/\d+/$"))
            _no_error_message(page, "confirm the cancellation")
        else:
            _go(page.locator("form[action$='/contacts/'] button[type=submit]"))
            _no_error_message(page, "log a contact on the cancellation")


def _tasks(page: Any, live_server: Any) -> int:
    """Complete the first open task, if there is one; returns how many were completed."""
    page.goto(f"{live_server.url}/staff/tasks/")
    done = page.locator("form[action$='/done/'] button[type=submit]")
    before = done.count()
    if not before:
        return 0
    _go(done.first)
    _no_error_message(page, "complete a task")
    assert page.locator("form[action$='/done/']").count() == before - 1
    return 1


def _failed_notifications(page: Any, live_server: Any) -> None:
    page.goto(f"{live_server.url}/staff/notifications/failed/")
    for href in _links(page, "table a[href*='/staff/notifications/']"):
        page.goto(href)


def _invoices(page: Any, live_server: Any, watch: Any) -> int:
    """Every invoice on every page of the list: in the browser (with its PDF and a receipt)
    the first of each status, the rest through the context's requests (the same page,
    without painting fifty of them). Returns how many."""
    rows: list[list[str]] = []
    number = 1
    while True:
        page.goto(f"{live_server.url}/staff/billing/?page={number}")
        rows += page.eval_on_selector_all(
            "table tbody tr:has(a[href*='/staff/billing/invoices/'])",
            "trs => trs.map(tr => [tr.querySelector('a').href, tr.lastElementChild.innerText"
            " + (tr.querySelector('.badge') ? ' overdue' : '')])",
        )
        if not page.locator(f"a.page-link[href*='page={number + 1}']").count():
            break
        number += 1
    assert rows, "the demo has invoices"
    shown: set[str] = set()
    receipt = None
    for href, status in rows:
        if status in shown:
            watch.check(page.context.request.get(href), "invoice page")
            continue
        shown.add(status)
        page.goto(href)
        pdf = _links(page, "a[href$='/pdf/']")[0]
        watch.check(page.context.request.get(pdf), f"PDF of a {status} invoice")
        receipt = receipt or next(iter(_links(page, "a[href$='/receipt/']")), None)
    assert receipt, "the demo has payments"
    watch.check(page.context.request.get(receipt), "receipt PDF")
    return len(rows)


def _at_risk(page: Any, live_server: Any) -> None:
    page.goto(f"{live_server.url}/staff/insights/at-risk/")
    contracts = _links(page, "table a[href*='/staff/contracts/']")
    assert contracts, "the at-risk list is empty"
    for href in contracts:
        page.goto(href)


def _winback(page: Any, live_server: Any) -> None:
    page.goto(f"{live_server.url}/staff/cancellations/win-back/")
    offer = page.locator("form[action$='/offer/'] button[type=submit]")
    if offer.count():
        _go(offer.first)
        page.wait_for_url(re.compile(r".*/staff/contracts/\d+/$"))
        _no_error_message(page, "offer a win-back contract")


def _due_contacts(page: Any, live_server: Any) -> None:
    """The demo's tier cadences, planned by the sweep: the lead's list has contacts due."""
    page.goto(f"{live_server.url}/staff/relations/contacts/")
    assert page.locator("#due-contacts tbody tr").count() >= 1, "no contact is due"


def _customers(page: Any, live_server: Any) -> None:
    """Every customer's page of the list; an interaction logged on the first."""
    page.goto(f"{live_server.url}/staff/customers/")
    customers = _links(page, "table a[href*='/staff/customers/'].fw-semibold")
    assert customers, "the demo has customers"
    for href in reversed(customers):
        page.goto(href)
    form = page.locator("form[action*='/interactions/']")
    form.locator("[name=summary]").fill("Quarterly call: happy with the service.")
    _go(form.locator("button[type=submit]"))
    _no_error_message(page, "log an interaction")
    assert page.get_by_text("Quarterly call: happy with the service.").count()


# --- 2. Portal -----------------------------------------------------------------------------

PORTAL_SKIP = ("/logout/", "/login/")


def test_every_demo_customer_opens_every_portal_page(demo, live_server, browser, screenshot):
    for login in demo["portal"]:
        with watched_context(browser, login.email) as (context, watch):
            page = portal_page(context, live_server, email=login.email)
            pages = crawl(
                page,
                watch,
                start=f"{live_server.url}/portal/",
                # Surveys are reached from their e-mail, not from the portal's menu.
                also=(f"{live_server.url}/portal/surveys/",),
                prefix="/portal/",
                skip=PORTAL_SKIP,
            )
            assert any(re.search(r"/portal/contracts/\d+/$", p) for p in pages), pages
            assert "/portal/messages/" in pages
            if login.label.startswith(("ready to sign", "ready to pay")):
                assert any(p.endswith("/renewal/") for p in pages), pages
            if login.label.startswith("ready to pay"):
                assert any(re.search(r"/portal/invoices/\d+/$", p) for p in pages), pages
            screenshot(page, "tour-portal-last-page")
            assert not watch.problems, watch.report()


# --- 3. Journeys ---------------------------------------------------------------------------


def test_a_customer_signs_the_renewal_and_another_cancels_through_the_offer(
    demo, live_server, browser, screenshot
):
    _sign_and_reach_the_invoice(demo, live_server, browser, screenshot)
    _cancel_through_the_offer(demo, live_server, browser, screenshot)


def _sign_and_reach_the_invoice(demo, live_server, browser, screenshot) -> None:
    from renewals.models import RenewalCase, Stage

    login, contract = _labelled(demo, "ready to sign", r"renewal of (HT-\d{4}-\d{6})")
    with watched_context(browser, login.email) as (context, watch):
        page = portal_page(context, live_server, email=login.email, contract=contract)
        _go(page.locator(f"a[href='/portal/contracts/{contract.pk}/renewal/']").first)
        page.wait_for_url(re.compile(rf".*/portal/contracts/{contract.pk}/renewal/$"))
        screenshot(page, "tour-sign-1-review")
        contract_pdf = page.locator("#contract-pdf").get_attribute("href")
        watch.check(context.request.get(live_server.url + contract_pdf), "contract to sign")
        # The demo customers read Chinese or English: selectors that do not depend on it.
        sign = page.locator("form[action$='/renewal/sign/']")
        sign.locator("input[name=accept]").check()
        sign.locator("input[name=full_name]").fill("王敏 Wang Min")
        _go(sign.locator("button[type=submit]"))
        page.wait_for_url(re.compile(r".*/renewal/$"))
        _no_error_message(page, "sign")
        assert page.locator(".portal-messages .alert-success").count() == 1
        _go(page.locator("#pay a[href*='/portal/invoices/']").first)
        page.wait_for_url(re.compile(r".*/portal/invoices/\d+/$"))
        screenshot(page, "tour-sign-2-invoice")
        assert not watch.problems, watch.report()
    case = RenewalCase.objects.get(contract=contract)
    assert case.stage == Stage.SIGNED
    assert case.successor.status == "awaiting_payment"


def _cancel_through_the_offer(demo, live_server, browser, screenshot) -> None:
    from retention.models import CancellationRequest

    login, contract = _labelled(demo, "with a retention offer on cancel", r"cancel (HT-\S+),")
    with watched_context(browser, login.email) as (context, watch):
        page = portal_page(context, live_server, email=login.email, contract=contract)
        _go(page.locator(f"a[href='/portal/contracts/{contract.pk}/cancel/']"))
        page.wait_for_url(re.compile(rf".*/portal/contracts/{contract.pk}/cancel/$"))
        page.locator("input[name=kind]:not([disabled])").first.check()
        page.locator("select[name=reason]").select_option("price")  # the reason the label names
        _go(page.locator("button[name=submit]"))
        page.wait_for_url(re.compile(rf".*/portal/contracts/{contract.pk}/cancel/offer/$"))
        assert page.locator("#retention-offer").count() == 1
        assert page.locator("button[name=answer][value=accept]").is_visible()
        screenshot(page, "tour-cancel-1-offer")
        _go(page.locator("button[name=answer][value=decline]"))
        page.wait_for_url(re.compile(rf".*/portal/contracts/{contract.pk}/cancel/confirm/$"))
        _go(page.locator("button[name=confirm]"))
        page.wait_for_url(re.compile(r".*/portal/cancellations/\d+/$"))
        screenshot(page, "tour-cancel-2-submitted")
        assert not watch.problems, watch.report()
    request = CancellationRequest.objects.get(contract=contract)
    assert request.offer_response == "declined"
    # A non-renewal (the first choice) is confirmed at once, an early termination is reviewed.
    assert request.status in ("confirmed", "in_review"), request.status
