"""Insights pages in a real browser: no script error or CSP violation, in English and
Chinese; a staff reply to a complaint shows in the customer's portal; a survey link
answered on a phone-sized screen."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from insights.models import Survey
from insights.scoring import propensity_score_all
from insights.surveys import survey_link
from portal.services import feedback_submit
from tests.factories import (
    ContactFactory,
    ContractFactory,
    CustomerFactory,
    PortalAccountFactory,
    StaffFactory,
    UserFactory,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def world(transactional_db):
    lead = StaffFactory(username="lead", first_name="Lena", last_name="Lead")
    lead.user_permissions.add(Permission.objects.get(codename="view_all_books"))
    customer = CustomerFactory(account_manager=lead, name="Shanghai Cloud Ltd")
    ContactFactory(customer=customer, email="li@cloud.example")
    ann = UserFactory(username="ann", email="ann@cloud.example")
    PortalAccountFactory(user=ann, customer=customer)
    ContractFactory(customer=customer, end_date=timezone.localdate() + dt.timedelta(days=20))
    propensity_score_all(today=timezone.localdate())
    item = feedback_submit(
        customer=customer,
        by=ann,
        category="complaint",
        severity="high",
        subject="Invoice is wrong",
        body="The amount does not match.",
    )
    survey = Survey.objects.create(customer=customer, kind="nps", dedupe_key="nps:e2e")
    return {"lead": lead, "ann": ann, "feedback": item, "survey": survey, "customer": customer}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_insights_page_renders_without_errors(
    page, live_server, world, staff_login, screenshot, language
):
    lead = world["lead"]
    lead.language = language
    lead.save()
    staff_login(page, live_server, username="lead", password="pw-Secret-123")
    for path, name in [
        ("/staff/insights/at-risk/", "at-risk"),
        ("/staff/insights/feedback/", "feedback"),
        (f"/staff/insights/feedback/{world['feedback'].pk}/", "feedback-detail"),
        ("/staff/insights/satisfaction/", "satisfaction"),
        ("/staff/insights/import/", "import"),
        (f"/staff/customers/{world['customer'].pk}/", "customer-relationship"),
    ]:
        page.goto(live_server.url + path)
        screenshot(page, f"insights-{name}-{language}")
    assert page.js_errors == []


def test_a_staff_reply_reaches_the_portal(page, live_server, world, staff_login):
    staff_login(page, live_server, username="lead", password="pw-Secret-123")
    page.goto(f"{live_server.url}/staff/insights/feedback/{world['feedback'].pk}/")
    page.fill("textarea[name=body]", "We corrected the invoice.")
    page.click("button:has-text('Send reply')")
    page.wait_for_selector("text=Reply sent")
    page.click("button:has-text('Mark resolved')")
    page.wait_for_selector("text=Status updated")
    page.context.clear_cookies()
    client = Client()
    client.force_login(world["ann"])
    cookie = client.cookies["sessionid"]
    page.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])
    page.goto(f"{live_server.url}/portal/feedback/{world['feedback'].pk}/")
    assert "We corrected the invoice." in page.content()
    assert page.js_errors == []


@pytest.fixture
def browser_context_args():
    # Every test of this module runs on a phone-sized screen: the pages must work there.
    return {"viewport": {"width": 390, "height": 844}, "locale": "en-US"}


def test_a_survey_link_is_answered_on_a_phone(page, live_server, world, screenshot):
    link = survey_link(world["survey"])
    path = "/" + link.split("/", 3)[3]
    page.goto(live_server.url + path)
    screenshot(page, "insights-survey-phone")
    page.check("input[name=score][value='9']")
    page.click("button:has-text('Send my answer')")
    page.wait_for_selector("text=Thank you!")
    world["survey"].refresh_from_db()
    assert world["survey"].score == 9
    assert page.js_errors == []
