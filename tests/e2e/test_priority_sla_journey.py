"""The priority response privilege in a real browser (issue 16 point 3): a Gold member
files a complaint in the portal and is told the answer time their level gives (4 hours,
where the severity alone gives 24); the account manager sees the shorter deadline with
its reason; the escalation sweep escalates it to the team lead at 4 hours, while a
non-member's complaint filed at the same time waits for its 24 hours, and the lead's
dashboard counts it.

Dates: the live server reads the real clock (time_machine cannot reach its thread), so
the points are earned today and the sweep is called with explicit times counted from the
complaint's own filing time.

Screenshots: test-artifacts/priority-sla-*.png.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.e2e.dates import english_date

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-Secret-123"
FOUR_HOURS = dt.timedelta(hours=4)
DAY = dt.timedelta(hours=24)


@pytest.fixture
def world(transactional_db):
    from loyalty.models import Level, PointsEntry, Privilege, PrivilegeKind
    from tests.factories import (
        ContactFactory,
        CustomerFactory,
        PortalAccountFactory,
        StaffFactory,
        UserFactory,
    )

    today = timezone.localdate()
    lead = StaffFactory(username="lead-li", first_name="Li", language="en")
    manager = StaffFactory(username="zhou", first_name="Zhou", team_lead=lead, language="en")
    gold = Level.objects.create(code="gold", name="金卡", name_en="Gold", min_points=1000)
    Privilege.objects.create(level=gold, kind=PrivilegeKind.PRIORITY_SLA, response_hours=4)
    member = CustomerFactory(name="Nanjing Lianhe Ltd", account_manager=manager, language="en")
    PointsEntry.objects.create(customer=member, kind="earn", points=1200, on=today)
    ContactFactory(customer=member, email="it@lianhe.example")
    PortalAccountFactory(
        user=UserFactory(username="it", email="it@lianhe.example", language="en"),
        customer=member,
    )
    walk_in = CustomerFactory(name="Suzhou Walk-in Ltd", account_manager=manager, language="en")
    return {"lead": lead, "manager": manager, "member": member, "walk_in": walk_in}


def test_a_gold_members_complaint_is_due_in_four_hours_and_escalates_then(
    world, live_server, page, browser, screenshot, staff_login
):
    from insights.feedback import feedback_submit
    from insights.models import Feedback
    from relations.complaint_escalations import complaints_escalate
    from relations.models import ComplaintEscalation

    # the member logs in and opens a new complaint: the form says what their level gives
    page.goto(f"{live_server.url}/portal/login/password/")
    page.fill("input[name=email]", "it@lianhe.example")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/portal/$"))
    page.goto(f"{live_server.url}/portal/feedback/new/")
    promise = page.locator("#priority-response").inner_text()
    assert promise == "As a Gold member you get a first answer within 4 hours at most."
    screenshot(page, "priority-sla-1-form")

    page.select_option("select[name=category]", "complaint")
    page.select_option("select[name=severity]", "high")
    page.fill("input[name=subject]", "Invoices arrive late")
    page.fill("textarea[name=body]", "The invoice came after its due date again.")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(re.compile(r".*/portal/feedback/\d+/$"))
    assert "Member priority response (Gold): within 4 hours." in (
        page.locator("#priority-response").inner_text()
    )
    screenshot(page, "priority-sla-2-portal-detail")

    complaint = Feedback.objects.get(customer=world["member"])
    # (created_at is stamped a few milliseconds after the deadline's "now")
    assert abs(complaint.sla_due_at - complaint.created_at - FOUR_HOURS) < dt.timedelta(seconds=5)
    # A non-member's complaint of the same severity, filed at the same moment: 24 hours.
    plain = feedback_submit(
        customer=world["walk_in"],
        by=None,
        category="complaint",
        severity="high",
        subject="Invoices arrive late",
        body="Same here.",
    )
    assert abs(plain.sla_due_at - plain.created_at - DAY) < dt.timedelta(seconds=5)

    # the account manager sees the shorter deadline and why
    staff = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    staff_page = staff.new_page()
    staff_login(staff_page, live_server, username="zhou", password=PASSWORD)
    staff_page.goto(live_server.url + reverse("insights:feedback-detail", args=[complaint.pk]))
    local_due = timezone.localtime(complaint.sla_due_at)
    due = f"{english_date(local_due)}, {local_due:%H:%M}"
    assert f"Answer due by {due}." in staff_page.locator(".alert-warning").inner_text()
    assert (
        staff_page.locator("#priority-response")
        .inner_text()
        .endswith("Priority response: member level Gold, 4 hours.")
    )
    screenshot(staff_page, "priority-sla-3-staff-detail")
    staff.close()

    # the sweep: nothing before 4 hours; the member's complaint just after; the other later
    filed = complaint.created_at
    assert complaints_escalate(now=filed + dt.timedelta(hours=3, minutes=55)) == 0
    assert complaints_escalate(now=filed + dt.timedelta(hours=4, minutes=5)) == 1
    escalation = ComplaintEscalation.objects.get()
    assert (escalation.feedback_id, escalation.escalated_to) == (complaint.pk, world["lead"])
    assert complaints_escalate(now=plain.created_at + dt.timedelta(hours=23, minutes=55)) == 0

    # the team lead's dashboard counts the escalated complaint, and the task is theirs
    lead = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    lead_page = lead.new_page()
    staff_login(lead_page, live_server, username="lead-li", password=PASSWORD)
    assert lead_page.locator("[data-metric=escalated-complaints]").first.inner_text() == "1"
    assert escalation.task.assignee == world["lead"]
    screenshot(lead_page, "priority-sla-4-lead-dashboard")
    lead.close()
    assert page.js_errors == []
