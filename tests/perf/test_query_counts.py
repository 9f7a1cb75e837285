"""Every staff list, detail and dashboard page, every portal page and every API list runs
the same number of SQL queries whether it shows 10 rows or 200: no query per row.

Each test builds a book with 10 of everything the page lists (contracts, events,
invoices, messages, tasks, cases, requests, feedback…), counts the page's queries, grows
the book to 200 of each and counts again. The counts must be equal and within the page's
bound. Times are never asserted here; bench/ measures them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing.models import CreditNote, Invoice, Payment
from contracts.models import Contract, ContractEvent, ContractStatus
from core.models import Task
from customers.models import Contact, Customer
from insights.models import Feedback
from notifications.models import Message
from renewals.models import RenewalCase
from retention.models import CancellationRequest
from tests.factories import ContractFactory, CustomerFactory, PlanFactory, PortalAccountFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 6, 15)


@pytest.fixture(autouse=True)
def _frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


@dataclass
class Book:
    """One manager's book, grown in steps; ``first_*`` are the objects detail pages show."""

    manager: Any
    customer: Customer
    lapsed: Customer
    portal_user: Any
    plan: Any
    made: int = 0
    first: dict[str, Any] = field(default_factory=dict)

    def grow(self, to: int) -> None:
        """Add rows until there are ``to`` of each kind (bulk inserts: fast at 200)."""
        start, self.made = self.made, to
        n = range(start, to)
        contracts = Contract.objects.bulk_create(
            Contract(
                number=f"HT-PERF-{i:05d}",
                customer=self.customer,
                owner=self.manager,
                plan=self.plan,
                status=ContractStatus.ACTIVE,
                start_date=TODAY - dt.timedelta(days=300),
                end_date=TODAY + dt.timedelta(days=5 + i % 50),
                total_amount=Decimal("12000"),
                annual_value=Decimal("12000"),
                auto_renew=i % 2 == 0,
            )
            for i in n
        )
        Contract.objects.bulk_create(
            Contract(
                number=f"HT-LAPSED-{i:05d}",
                customer=self.lapsed,
                owner=self.manager,
                plan=self.plan,
                status=ContractStatus.EXPIRED,
                start_date=TODAY - dt.timedelta(days=400),
                end_date=TODAY - dt.timedelta(days=30 + i % 30),
                ended_at=NOW - dt.timedelta(days=29),
                annual_value=Decimal("5000"),
            )
            for i in n
        )
        first = self.first.setdefault("contract", contracts[0])
        ContractEvent.objects.bulk_create(
            ContractEvent(
                contract=first,
                actor=self.manager,
                kind="note" if i % 2 else "status_changed",
                from_status="active",
                to_status="active",
                payload={"note": f"n{i}"},
            )
            for i in n
        )
        Contact.objects.bulk_create(
            Contact(customer=self.customer, name=f"Person {i}", email=f"p{i}@example.com")
            for i in n
        )
        Task.objects.bulk_create(
            Task(
                assignee=self.manager,
                kind="follow_up",
                title=f"Call {i}",
                due_date=TODAY + dt.timedelta(days=i % 7 - 3),
                customer=self.customer,
                contract=contracts[i - start],
            )
            for i in n
        )
        RenewalCase.objects.bulk_create(
            RenewalCase(contract=c, owner=self.manager, opened_at=NOW - dt.timedelta(days=1))
            for c in contracts
        )
        CancellationRequest.objects.bulk_create(
            CancellationRequest(
                contract=c,
                customer=self.customer,
                kind="non_renewal",
                reason="price",
                submitted_at=NOW - dt.timedelta(hours=3),
                sla_due_at=NOW + dt.timedelta(days=2),
            )
            for c in contracts
        )
        invoices = Invoice.objects.bulk_create(
            Invoice(
                number=f"INV-PERF-{i:05d}",
                customer=self.customer,
                contract=first,
                kind="fee",
                amount=Decimal("100"),
                issue_date=TODAY - dt.timedelta(days=i % 40),
                due_date=TODAY + dt.timedelta(days=10 - i % 40),
            )
            for i in n
        )
        self.first.setdefault("invoice", invoices[0])
        Payment.objects.bulk_create(
            Payment(
                number=f"PAY-PERF-{i:05d}",
                customer=self.customer,
                invoice=invoices[i - start],
                amount=Decimal("10"),
                method="bank_transfer",
                reference=f"r{i}",
                received_at=NOW,
            )
            for i in n
        )
        CreditNote.objects.bulk_create(
            CreditNote(
                number=f"CN-PERF-{i:05d}",
                customer=self.customer,
                invoice=invoices[i - start],
                amount=Decimal("5"),
                reason="goodwill",
                issue_date=TODAY,
            )
            for i in n
        )
        messages = Message.objects.bulk_create(
            Message(
                customer=self.customer,
                contract=contracts[i - start],
                channel=channel,
                kind="renewal_reminder" if channel == "email" else "notice",
                template_kind="renewal_reminder",
                language="en",
                subject=f"Subject {i}",
                body_text="Body",
                to_address="c@example.com" if channel == "email" else "",
                dedupe_key=f"perf:{channel}:{i}",
                status="failed" if i % 3 == 0 else "sent",
                sent_at=NOW,
            )
            for i in n
            for channel in ("email", "in_app")
        )
        Message.objects.bulk_create(
            Message(
                user=self.manager,
                channel="in_app",
                kind="staff_notice",
                template_kind="staff_notice",
                language="en",
                subject=f"For you {i}",
                dedupe_key=f"perf:staff:{i}",
                status="sent",
                sent_at=NOW,
            )
            for i in n
        )
        self.first.setdefault("message", messages[0])
        feedback = Feedback.objects.bulk_create(
            Feedback(
                customer=self.customer,
                contract=contracts[i - start],
                submitted_by=self.portal_user,
                category="question",
                subject=f"Question {i}",
                body="Why?",
                sla_due_at=NOW + dt.timedelta(days=1),
            )
            for i in n
        )
        self.first.setdefault("feedback", feedback[0])
        self.first.setdefault("case", RenewalCase.objects.get(contract=first))
        self.first.setdefault("request", CancellationRequest.objects.get(contract=first))


@pytest.fixture
def book(manager) -> Book:
    customer = CustomerFactory(account_manager=manager, name="Main Ltd", language="en")
    lapsed = CustomerFactory(account_manager=manager, name="Lapsed Ltd")
    account = PortalAccountFactory(customer=customer)
    # Another manager's contract: visibility filters have something to leave out.
    ContractFactory(number="HT-OTHER-1")
    return Book(
        manager=manager,
        customer=customer,
        lapsed=lapsed,
        portal_user=account.user,
        plan=PlanFactory(),
    )


@dataclass(frozen=True)
class Page:
    name: str
    url: Callable[[Book], str]
    who: str  # "manager", "lead", "portal" or "api"
    # What the page needs today plus a little room; the real check is 10 rows == 200 rows.
    max_queries: int


def _u(name: str, *keys: str) -> Callable[[Book], str]:
    return lambda b: reverse(name, args=[b.first[k].pk for k in keys])


def _q(name: str, query: str) -> Callable[[Book], str]:
    return lambda b: reverse(name) + "?" + query


PAGES = [
    # staff
    # +3 since issue #16: contacts due and overdue, not contacted in N days, escalated
    # complaints (relations), each one aggregate.
    Page("dashboard (manager)", _u("staff-home"), "manager", 23),
    Page("dashboard (team lead)", _u("staff-home"), "lead", 23),
    Page("tasks", _u("staff-tasks"), "manager", 8),
    Page("customer list", _u("customers:list"), "manager", 10),
    Page("customer list not contacted", _q("customers:list", "not_contacted=30"), "manager", 10),
    # +2 since issue #16: the loyalty card (one ledger aggregate, the level).
    Page(
        "customer detail",
        lambda b: reverse("customers:detail", args=[b.customer.pk]),
        "manager",
        15,
    ),
    Page("contract list", _u("contracts:list"), "manager", 10),
    Page("contract list ending ≤30 d", _q("contracts:list", "ending_within=30"), "manager", 10),
    Page(
        "contract list by manager",
        lambda b: reverse("contracts:list") + f"?manager={b.manager.pk}",
        "lead",
        12,
    ),
    # A renewal's page reads its member benefits (loyalty_tags.contract_member_benefits, one
    # read, only when the contract has a predecessor): not this page's contract, so 15 stays.
    Page("contract detail", _u("contracts:detail", "contract"), "manager", 15),
    Page("renewal pipeline", _u("renewals:pipeline"), "manager", 14),
    # One read for what the automatic renewal will do (its consent; the term and price only
    # when it is coming): lifecycle.auto_renewal_outlook.
    Page("renewal case", _u("renewals:case", "case"), "manager", 11),
    Page("outbox", _u("notifications:outbox"), "lead", 9),
    Page("failed messages", _u("notifications:failed"), "lead", 9),
    Page("my notifications", _u("notifications:mine"), "manager", 7),
    Page("message detail", _u("notifications:detail", "message"), "lead", 10),
    Page("cancellation queue", _u("retention:queue"), "manager", 11),
    Page("cancellation request", _u("retention:detail", "request"), "manager", 17),
    Page("retention offers", _u("retention:offers"), "lead", 6),
    Page("win-back list", _u("retention:winback"), "manager", 9),
    Page("invoice list", _u("billing:invoices"), "manager", 9),
    Page("invoice detail", _u("billing:invoice", "invoice"), "manager", 10),
    Page("credit notes", _u("billing:credit-notes"), "manager", 9),
    Page("feedback queue", _u("insights:feedback"), "manager", 9),
    Page("feedback detail", _u("insights:feedback-detail", "feedback"), "manager", 12),
    # portal
    # Issue #15 and #16 add fixed reads to the portal: the customer's rules (the German
    # "cancel contracts here" button on every page, the rights on a contract: switch,
    # undo, withdrawal), the rewards tab, the service levels and saved payment methods;
    # the Feedback tab's count of surveys waiting for an answer (one read on every page).
    Page("portal home", _u("portal:home"), "portal", 17),
    # ... and the contract page's credit notes, held or open-ended state and its notice.
    # (A renewal's page reads its member benefits too, one read only when the contract has a
    # predecessor: not this page's contract, so 30 stays.)
    Page("portal contract", _u("portal:contract-detail", "contract"), "portal", 30),
    Page("portal messages", _u("portal:messages"), "portal", 8),
    Page("portal contacts", _u("portal:contacts"), "portal", 9),
    Page("portal feedback list", _u("portal:feedback-list"), "portal", 8),
    Page("portal feedback", _u("portal:feedback-detail", "feedback"), "portal", 10),
    Page("portal invoice", _u("portal:invoice", "invoice"), "portal", 9),
    Page("portal cancellation", _u("portal:cancellation-detail", "request"), "portal", 9),
    # ... and, like the case page, what the automatic renewal will do.
    Page("portal renewal", _u("portal:renewal", "contract"), "portal", 13),
    # API lists (page_size 200: every row of the bigger book is serialised)
    *(
        Page(f"API {name}", _q(f"api:{name}-list", "page_size=200"), "api", 8)
        for name in (
            "customer",
            "contact",
            "plan",
            "contract",
            "event",
            "renewal-case",
            "cancellation-request",
            "invoice",
            "payment",
        )
    ),
]


def _client_for(who: str, book: Book, client: Any, team_lead: Any) -> tuple[Any, dict]:
    if who == "api":
        from api.services import api_token_create

        _token, raw = api_token_create(user=team_lead, name="perf", scope="read")
        return client, {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    user = {"manager": book.manager, "lead": team_lead, "portal": book.portal_user}[who]
    client.force_login(user)
    return client, {}


def _count(client: Any, url: str, headers: dict) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **headers)
    return response.status_code, len(ctx.captured_queries)


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_it_runs_the_same_queries_for_10_and_200_rows(page, book, client, team_lead):
    c, headers = _client_for(page.who, book, client, team_lead)
    book.grow(10)
    url = page.url(book)
    # Once before counting: the first request may write once (an API token's last use).
    client.get(url, **headers)
    status_10, queries_10 = _count(c, url, headers)
    book.grow(200)
    status_200, queries_200 = _count(c, url, headers)
    assert (status_10, status_200) == (200, 200)
    assert queries_200 == queries_10, f"{queries_10} queries at 10 rows, {queries_200} at 200"
    assert queries_200 <= page.max_queries
