"""A small but complete book of business for the accessibility and layout browser tests
(tests/e2e/test_accessibility.py, tests/e2e/test_layout.py): one customer with a portal
login, contracts with long numbers and seven-figure amounts, a renewal case in every
pipeline stage, an invoice with a payment, a cancellation request, feedback, a message
and a task. Built with the services where they exist, so every detail page has something
to show; everything is relative to ``today`` (never the wall clock)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from django.utils import timezone

PASSWORD = "pw-Secret-123"
STAFF_USERNAME = "alice"
PORTAL_EMAIL = "buyer@vision.example"
# Long on purpose: what breaks on a phone is a seven-figure amount and a full number.
BIG_AMOUNT = Decimal("1234567.89")


def build_world(*, today: dt.date) -> dict[str, Any]:
    from billing.services import invoice_issue, payment_record
    from contracts.models import ContractLine, ContractStatus
    from core.models import Task
    from notifications.models import Message
    from portal.services import feedback_reply_add, feedback_submit
    from renewals.models import PIPELINE_STAGES, RenewalCase, Stage
    from retention.services import cancellation_submit
    from tests.factories import (
        ContactFactory,
        ContractFactory,
        CustomerFactory,
        PortalAccountFactory,
        StaffFactory,
        UserFactory,
    )

    # A superuser sees every navigation entry: the longest staff navigation there is.
    alice = StaffFactory(
        username=STAFF_USERNAME,
        first_name="Alice",
        last_name="Wang",
        is_superuser=True,
        email="alice@rd.example",
    )
    customer = CustomerFactory(
        name="上海远景信息科技有限公司 Vision Technology", account_manager=alice, tier="A"
    )
    ContactFactory(customer=customer, name="李娜 Li Na", email=PORTAL_EMAIL, phone="13800001234")
    buyer = UserFactory(username="buyer", email=PORTAL_EMAIL, first_name="Li", last_name="Na")
    PortalAccountFactory(user=buyer, customer=customer)

    contract = ContractFactory(
        customer=customer,
        number="HT-2026-000123",
        total_amount=BIG_AMOUNT,
        annual_value=BIG_AMOUNT,
        end_date=today + dt.timedelta(days=40),
        with_line=False,
    )
    ContractLine.objects.create(
        contract=contract,
        description="Cloud storage 100 TB, 24×7 support",
        quantity=Decimal("1"),
        unit_price=BIG_AMOUNT,
    )

    # A contract in every other status and a customer of every tier: every badge colour
    # shows somewhere (the contract lists, the customer page, the portal home).
    for n, status in enumerate(s for s in ContractStatus.values if s != ContractStatus.ACTIVE):
        ContractFactory(
            customer=customer,
            number=f"HT-2025-{n + 1:06d}",
            status=status,
            end_date=today + dt.timedelta(days=200 + n),
        )
    CustomerFactory(name="Müller & Partner GmbH", account_manager=alice, tier="C")

    # One renewal case per pipeline stage, each on its own contract.
    cases = {}
    for i, stage in enumerate(PIPELINE_STAGES):
        other = CustomerFactory(
            name=f"北京星河科技有限公司 Galaxy {i}", account_manager=alice, tier="B"
        )
        renewing = (
            contract
            if i == 0
            else ContractFactory(
                customer=other,
                number=f"HT-2026-00{i:04d}",
                total_amount=Decimal("120000.00") * (i + 1),
                end_date=today + dt.timedelta(days=10 * i + 5),
            )
        )
        cases[stage] = RenewalCase.objects.create(
            contract=renewing,
            owner=alice,
            stage=stage,
            opened_at=timezone.now(),
            last_contact_at=timezone.now(),
            next_action="Call the purchasing manager",
            next_action_date=today + dt.timedelta(days=3),
            loss_reason="price" if stage == Stage.LOST else "",
        )

    invoice = invoice_issue(
        customer=customer,
        contract=contract,
        amount=BIG_AMOUNT,
        description="Cloud storage, first term",
        due_date=today + dt.timedelta(days=14),
        issue_date=today,
        by=alice,
    )
    payment_record(
        invoice=invoice,
        amount=Decimal("34567.89"),
        method="bank_transfer",
        reference="BANK-0001",
        by=alice,
    )

    cancelling = ContractFactory(
        customer=customer, number="HT-2026-000456", end_date=today + dt.timedelta(days=90)
    )
    request = cancellation_submit(
        contract=cancelling,
        kind="non_renewal",
        reason="price",
        reason_text="Too expensive for us next year.",
        by=buyer,
        today=today,
    )

    feedback = feedback_submit(
        customer=customer,
        by=buyer,
        category="billing",
        severity="high",
        subject="The invoice shows 45 seats, we have 40",
        body="Please correct the invoice.",
        contract=contract,
    )
    feedback_reply_add(feedback=feedback, by=alice, body="We are correcting it.", from_staff=True)
    Message.objects.create(
        customer=customer,
        contract=contract,
        channel="in_app",
        kind="notice",
        template_kind="notice",
        language="en",
        subject="Your contract HT-2026-000123 ends soon",
        body_text="Renew it in the portal.",
        dedupe_key="ui-world-notice",
        status="sent",
    )
    Task.objects.create(
        assignee=alice,
        kind="follow_up",
        title="Call Li Na about the renewal",
        due_date=today - dt.timedelta(days=1),
        customer=customer,
        contract=contract,
    )
    return {
        "alice": alice,
        "buyer": buyer,
        "customer": customer,
        "contract": contract,
        "cases": cases,
        "case": cases[Stage.RESPONDED],
        "invoice": invoice,
        "request": request,
        "feedback": feedback,
        **_relations_world(alice=alice, case=cases[Stage.RESPONDED], today=today),
    }


def _relations_world(*, alice: Any, case: Any, today: dt.date) -> dict[str, Any]:
    """Relationship maintenance: a call cadence for tier A (a due contact), a saved segment,
    a draft campaign and one sent to the portal (a message with a link in the inbox), and
    a quote for the service-level page."""
    from relations.campaign_models import Campaign
    from relations.campaigns import campaign_schedule, campaigns_send_due
    from relations.contact_plans import contact_plan_sweep
    from relations.models import ContactCadence
    from relations.segment_criteria import SegmentCriteria
    from relations.segment_models import Segment
    from renewals.services import quote_create

    ContactCadence.objects.create(tier="A", kind="call", every=30, unit="days")
    contact_plan_sweep(as_of=today)
    segment = Segment.objects.create(
        name="Tier A customers", owner=alice, criteria=SegmentCriteria(tiers=("A",)).to_json()
    )
    texts = {
        "segment": segment,
        "channel": "in_app",
        "owner": alice,
        "subject_zh_hans": "春季续约优惠",
        "body_zh_hans": "{{ customer_name }}，您好！续约享九折：{{ link }}",
        "subject_en": "Spring renewal offer",
        "body_en": "Dear {{ customer_name }},\nrenew this spring for 10% off: {{ link }}",
        "link_url": "/portal/",
    }
    draft = Campaign.objects.create(name="Summer newsletter", **texts)
    sent = Campaign.objects.create(name="Spring renewal offer", **texts)
    now = timezone.now()
    campaign_schedule(sent, at=now, by=alice, now=now)
    campaigns_send_due(now=now + dt.timedelta(minutes=1))
    return {
        "segment": segment,
        "campaign": draft,
        "sent_campaign": sent,
        "quote": quote_create(case=case, by=alice),
    }


def staff_log_in(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}/staff/login/")
    page.fill("input[name=username]", STAFF_USERNAME)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action$='/staff/login/'] button[type=submit]")
    page.wait_for_url(re.compile(r".*/staff/$"))


def portal_log_in(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}/portal/login/password/")
    page.fill("input[name=email]", PORTAL_EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form[method=post] button[type=submit]")
    page.wait_for_url(re.compile(r".*/portal/$"))


def set_language(context: Any, base_url: str, language: str) -> None:
    """Choose the interface language as the language switcher does: its cookie wins over
    the user's preferred language (core.middleware.UserLanguageMiddleware)."""
    from django.conf import settings

    context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": base_url}]
    )
