"""A team lead closes a renewal as lost with a reason in the browser, and finds it in the
"Why we lose renewals" analysis (through the staff navigation), in English and Chinese;
the page's CSV export carries the same figure."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from renewals.models import LossReason, RenewalCase, Stage
from renewals.services import case_open
from tests.factories import ContractFactory, CustomerFactory, StaffFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def world(transactional_db):
    lead = StaffFactory(username="lead", first_name="Lena", last_name="Lead")
    lead.user_permissions.add(Permission.objects.get(codename="view_all_books"))
    manager = StaffFactory(username="mo", first_name="Mo", last_name="Manager")
    customer = CustomerFactory(account_manager=manager, name="Hangzhou Storage Co", tier="B")
    contract = ContractFactory(
        customer=customer,
        end_date=timezone.localdate() + dt.timedelta(days=30),
        annual_value=Decimal("36000.00"),
        currency="CNY",
    )
    case, _created = case_open(contract=contract)
    return {"lead": lead, "case": case}


def test_a_team_lead_marks_a_case_lost_and_sees_it_in_the_analysis(
    page, live_server, world, staff_login, screenshot
):
    staff_login(page, live_server, username="lead", password="pw-Secret-123")
    case = world["case"]

    # The lose form asks for a reason: none is chosen in advance.
    page.goto(live_server.url + reverse("renewals:case", args=[case.pk]))
    assert page.locator("#id_lose_reason").input_value() == ""
    page.select_option("#id_lose_reason", LossReason.BUDGET)
    page.fill("#id_lose_note", "Budget frozen until next year")
    page.get_by_role("button", name="Close as lost").click()
    page.get_by_text("The renewal was closed as lost.").wait_for()
    case.refresh_from_db()
    assert (case.stage, case.loss_reason) == (Stage.LOST, LossReason.BUDGET)

    # Through the navigation's "More" menu to the analysis.
    page.get_by_role("button", name="More").click()
    page.get_by_role("link", name="Why we lose renewals").click()
    page.get_by_role("heading", name="Why we lose renewals").wait_for()
    budget = page.locator("[data-table=reasons] tr", has_text="Budget")
    assert budget.locator("td").nth(0).inner_text() == "1"  # lost renewals
    assert "36,000.00" in budget.locator("td").nth(1).inner_text()
    managers = page.locator("[data-table=managers]")
    assert "Mo Manager" in managers.inner_text()
    screenshot(page, "loss-analysis-en")
    assert page.js_errors == []

    # The same figure in the CSV export of the table.
    with page.expect_download() as download:
        page.locator("#table-reasons").get_by_role("link", name="Export CSV").click()
    text = open(download.value.path(), encoding="utf-8-sig").read()
    assert any(line.startswith("Budget,1,36000.00") for line in text.splitlines())

    # A bad date is answered with a message on the page, in Chinese too.
    lead = world["lead"]
    lead.language = "zh-hans"
    lead.save()
    page.goto(live_server.url + reverse("insights:losses") + "?as_of=2027-02-30")
    page.get_by_role("heading", name="流失原因分析").wait_for()
    assert "请按 YYYY-MM-DD 格式输入日期。" in page.locator(".alert-warning").inner_text()
    budget_zh = page.locator("[data-table=reasons] tr", has_text="预算")
    assert budget_zh.locator("td").nth(0).inner_text() == "1"
    screenshot(page, "loss-analysis-zh")
    # The page itself answers 400 (the browser logs that); no script error besides.
    assert [e for e in page.js_errors if "status of 400" not in e] == []
    assert RenewalCase.objects.filter(stage=Stage.LOST).count() == 1


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_propensity_factors_fit_a_laptop_screen(
    page, live_server, world, staff_login, screenshot, language
):
    from insights.models import ContractScore
    from insights.propensity import FEATURE_LABELS

    ContractScore.objects.create(
        contract=world["case"].contract,
        score=42,
        value_at_risk=Decimal("20880.00"),
        factors=[{"feature": f, "effect": -3.5} for f in FEATURE_LABELS],
        method="rules",
    )
    lead = world["lead"]
    lead.language = language
    lead.save()
    page.set_viewport_size({"width": 1366, "height": 768})
    staff_login(page, live_server, username="lead", password="pw-Secret-123")
    page.goto(live_server.url + reverse("insights:losses"))
    factors = page.locator("[data-table=factors]")
    assert factors.locator("tbody tr").count() == len(FEATURE_LABELS)
    # Nothing is cut off: the table needs no sideways scrolling inside its card.
    overflow = page.evaluate(
        """() => [...document.querySelectorAll('.table-responsive')].map(box => [
            box.querySelector('table').dataset.table, box.scrollWidth - box.clientWidth])"""
    )
    screenshot(page, f"loss-analysis-factors-{language}")
    assert dict(overflow)["factors"] <= 0, overflow


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_at_1366_px_no_loss_table_is_cut_off(
    page, live_server, world, staff_login, screenshot, language
):
    from renewals.services import case_lose

    case_lose(case=world["case"], by=world["lead"], reason=LossReason.BUDGET, note="")
    lead = world["lead"]
    lead.language = language
    lead.save()
    page.set_viewport_size({"width": 1366, "height": 768})
    staff_login(page, live_server, username="lead", password="pw-Secret-123")
    page.goto(live_server.url + reverse("insights:losses"))
    assert "Mo Manager" in page.locator("[data-table=managers]").inner_text()
    # Every table fits its card: none needs sideways scrolling (by tier and by manager
    # were side by side and lost their last columns).
    overflow = dict(
        page.evaluate(
            """() => [...document.querySelectorAll('.table-responsive')].map(box => [
            box.querySelector('table').dataset.table, box.scrollWidth - box.clientWidth])"""
        )
    )
    screenshot(page, f"loss-analysis-1366-{language}")
    assert {"reasons", "months", "trend", "tiers", "managers"} <= set(overflow)
    assert {k: v for k, v in overflow.items() if v > 0} == {}
