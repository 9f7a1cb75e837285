"""Access-control crawler.

Walks every URL pattern of the portal and of the staff UI from the resolver (so new views
are covered without touching this file) and requests each, GET and POST, with the ids of
objects that belong to someone else:

- as customer A with customer B's object ids,
- as account manager A with manager B's customer's object ids,
- as a customer on any staff URL.

Foreign objects get ids far above anything else in the test database, so an id can only
ever name the foreign object: any 2xx/3xx answer is a leak, any 5xx a crash.
"""

from __future__ import annotations

import itertools
import re
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from billing.models import Invoice, InvoiceKind
from contracts.models import Contract
from core.models import Document, DocumentKind, Task
from customers.models import Contact, Customer
from insights.models import Feedback
from notifications.models import Message
from renewals.models import RenewalCase
from retention.models import CancellationRequest
from retention.models import Kind as CancelKind
from retention.models import Reason as CancelReason
from tests.factories import (
    ContactFactory,
    ContractFactory,
    CustomerFactory,
    PortalAccountFactory,
    StaffFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")
REFUSED = {400, 403, 404, 405, 410}
FOREIGN_BASE = 900_000
# Public pages anyone may open, and the pages for logging out.
PUBLIC_NAMES = {
    "staff-login",
    "staff-logout",
    "portal:login",
    "portal:login-sent",
    "portal:password-login",
    "portal:logout",
}


def _walk(patterns, prefix="", namespace=""):
    for p in patterns:
        route = str(p.pattern)
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _walk(p.url_patterns, prefix + route, ns)
        elif isinstance(p, URLPattern):
            yield prefix + route, f"{namespace}{p.name or ''}"


def routes_under(start: str) -> list[tuple[str, str]]:
    found = [(r, n) for r, n in _walk(get_resolver().url_patterns) if r.startswith(start)]
    assert found, f"no URL patterns under {start}"
    for route, _name in found:
        # re_path patterns would silently escape the crawler: fail loudly instead.
        assert "^" not in route and "(?P" not in route, f"regex route not crawlable: {route}"
    return found


def urls_with_ids(route: str, own_ids: list[int], foreign_ids: list[int]) -> list[str]:
    """Every way to fill the route's parameters with ids, at least one of them foreign."""
    params = list(PARAM.finditer(route))
    if not params:
        return []
    choices = []
    for m in params:
        if m.group("conv") in (None, "str", "slug", "path"):
            choices.append(["not-a-valid-token"])
        else:
            choices.append(own_ids + foreign_ids)
    urls = []
    for combo in itertools.product(*choices):
        ints = [v for v in combo if isinstance(v, int)]
        if ints and not any(v in foreign_ids for v in ints):
            continue
        values = iter(combo)
        urls.append("/" + PARAM.sub(lambda _m, v=values: str(next(v)), route))
    return urls


def _foreign_world(tmp_path, settings) -> dict:
    """Customer B (manager B's) with one object of every kind, all with huge ids."""
    settings.MEDIA_ROOT = str(tmp_path)
    manager_b = StaffFactory(username="manager-b")
    customer = CustomerFactory(pk=FOREIGN_BASE + 1, account_manager=manager_b, name="B Co")
    user = UserFactory(pk=FOREIGN_BASE + 2, username="b-user", email="b@b.example")
    PortalAccountFactory(pk=FOREIGN_BASE + 3, user=user, customer=customer)
    contract = ContractFactory(pk=FOREIGN_BASE + 4, customer=customer)
    ContactFactory(pk=FOREIGN_BASE + 5, customer=customer)
    document = Document(
        pk=FOREIGN_BASE + 6,
        kind=DocumentKind.CONTRACT,
        title="B contract",
        sha256="0" * 64,
        size=3,
        customer=customer,
        contract=contract,
    )
    document.file.save("b.pdf", ContentFile(b"pdf"), save=False)
    document.save()
    Feedback.objects.create(
        pk=FOREIGN_BASE + 7,
        customer=customer,
        contract=contract,
        submitted_by=user,
        category="question",
        severity="normal",
        subject="B question",
        body="B secret",
        sla_due_at=timezone.now(),
    )
    Task.objects.create(
        pk=FOREIGN_BASE + 8,
        assignee=manager_b,
        kind="follow_up",
        title="Call B",
        due_date=timezone.localdate(),
        customer=customer,
        contract=contract,
    )
    draft = ContractFactory(pk=FOREIGN_BASE + 9, customer=customer, status="draft")
    Message.objects.create(
        pk=FOREIGN_BASE + 10,
        customer=customer,
        contract=contract,
        channel="in_app",
        kind="notice",
        template_kind="notice",
        language="en",
        subject="B notice",
        body_text="For B only",
        dedupe_key="crawler-b-notice",
        status="sent",
    )
    CancellationRequest.objects.create(
        pk=FOREIGN_BASE + 11,
        contract=contract,
        customer=customer,
        kind=CancelKind.values[0],
        reason=CancelReason.values[0],
        sla_due_at=timezone.now(),
    )
    RenewalCase.objects.create(
        pk=FOREIGN_BASE + 12, contract=contract, owner=manager_b, opened_at=timezone.now()
    )
    Invoice.objects.create(
        pk=FOREIGN_BASE + 13,
        number="INV-B-1",
        customer=customer,
        contract=contract,
        kind=InvoiceKind.values[0],
        amount=Decimal("100.00"),
        issue_date=timezone.localdate(),
        due_date=timezone.localdate(),
    )
    ids = [FOREIGN_BASE + n for n in range(1, 14)]
    return {"ids": ids, "customer": customer, "contract": contract, "draft": draft}


def _snapshot(customer: Customer) -> tuple:
    contract_rows = tuple(
        Contract.objects.filter(customer=customer)
        .order_by("pk")
        .values_list("status", "auto_renew")
    )
    contacts = tuple(
        Contact.objects.filter(customer=customer).values_list("name", "email", "phone")
    )
    feedback = tuple(Feedback.objects.filter(customer=customer).values_list("status", "subject"))
    replies = sum(f.replies.count() for f in Feedback.objects.filter(customer=customer))
    unread = Message.objects.filter(customer=customer, read_at__isnull=True).count()
    cancellations = tuple(
        CancellationRequest.objects.filter(customer=customer).values_list("status", flat=True)
    )
    invoices = tuple(Invoice.objects.filter(customer=customer).values_list("status", "amount_paid"))
    cases = tuple(RenewalCase.objects.filter(contract__customer=customer).values_list("stage"))
    return (
        contract_rows,
        contacts,
        feedback,
        replies,
        unread,
        cancellations,
        cases,
        invoices,
        Customer.objects.filter(pk=customer.pk).values_list("name", "notify_email").get(),
    )


def _crawl(client, urls: list[str]) -> list[str]:
    problems = []
    for url in urls:
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            if response.status_code not in REFUSED:
                problems.append(f"{method.upper()} {url} -> {response.status_code}")
    return problems


def test_customer_a_reaches_none_of_customer_bs_objects_in_the_portal(client, tmp_path, settings):
    # given customer A with objects of its own, and customer B's objects
    world = _foreign_world(tmp_path, settings)
    customer_a = CustomerFactory(name="A Co")
    user_a = UserFactory(username="a-user")
    PortalAccountFactory(user=user_a, customer=customer_a)
    own = [ContractFactory(customer=customer_a).pk, ContactFactory(customer=customer_a).pk]
    before = _snapshot(world["customer"])
    client.force_login(user_a)

    # when every portal URL is requested with B's ids
    urls = []
    for route, _name in routes_under("portal/"):
        urls += urls_with_ids(route, own, world["ids"])
    problems = _crawl(client, urls)

    # then every answer is a refusal and nothing of B's changed
    assert urls, "the crawler found no portal URL with an id"
    assert problems == []
    assert _snapshot(world["customer"]) == before


def test_the_portal_crawler_would_see_a_leak(client, tmp_path, settings):
    """Guard against a crawler that cannot fail: B itself gets its contract page."""
    world = _foreign_world(tmp_path, settings)
    client.force_login(world["customer"].portal_accounts.get().user)

    response = client.get(f"/portal/contracts/{world['contract'].pk}/")

    assert response.status_code == 200


def test_a_customer_never_sees_a_draft_contract(client, tmp_path, settings):
    world = _foreign_world(tmp_path, settings)
    client.force_login(world["customer"].portal_accounts.get().user)

    assert client.get(f"/portal/contracts/{world['draft'].pk}/").status_code == 404


def test_manager_a_reaches_none_of_manager_bs_customers_in_the_staff_ui(client, tmp_path, settings):
    world = _foreign_world(tmp_path, settings)
    manager_a = StaffFactory(username="manager-a")
    own_customer = CustomerFactory(account_manager=manager_a)
    own = [own_customer.pk, ContractFactory(customer=own_customer).pk]
    before = _snapshot(world["customer"])
    client.force_login(manager_a)

    urls = []
    for route, name in routes_under("staff/"):
        if name in PUBLIC_NAMES:
            continue
        urls += urls_with_ids(route, own, world["ids"])
    problems = _crawl(client, urls)

    assert problems == []
    assert _snapshot(world["customer"]) == before


def test_a_customer_reaches_no_staff_page(client, tmp_path, settings):
    world = _foreign_world(tmp_path, settings)
    client.force_login(world["customer"].portal_accounts.get().user)

    problems = []
    for route, name in routes_under("staff/"):
        if name in PUBLIC_NAMES:
            continue
        # Any id will do: a customer is refused on every staff URL whatever it names.
        urls = urls_with_ids(route, [], [world["contract"].pk]) or ["/" + route]
        for url in urls:
            for method in ("get", "post"):
                status = getattr(client, method)(url).status_code
                # 302 is the staff login page for views that send non-staff there.
                if status not in REFUSED | {302}:
                    problems.append(f"{method.upper()} {url} -> {status}")

    assert problems == []


def test_a_customer_never_reaches_the_admin(client, tmp_path, settings):
    world = _foreign_world(tmp_path, settings)
    client.force_login(world["customer"].portal_accounts.get().user)

    for url in ["/admin/", "/admin/insights/feedback/", "/admin/contracts/contract/"]:
        response = client.get(url, follow=True)
        assert response.status_code == 200  # the admin login form, nothing else
        assert response.redirect_chain, url
        assert "/admin/login/" in response.redirect_chain[-1][0]
        assert b"B question" not in response.content


def test_the_admin_is_open_to_staff_with_permissions_only(client, db):
    from django.contrib.auth.models import Permission

    staff = StaffFactory()
    client.force_login(staff)
    assert client.get("/admin/insights/feedback/").status_code == 403

    staff.user_permissions.add(Permission.objects.get(codename="view_feedback"))
    assert client.get("/admin/insights/feedback/").status_code == 200


def test_the_staff_crawler_would_see_a_leak(client, tmp_path, settings, team_lead):
    """Guard against a crawler that cannot fail: a team lead opens B's contract."""
    world = _foreign_world(tmp_path, settings)
    client.force_login(team_lead)

    assert client.get(f"/staff/contracts/{world['contract'].pk}/").status_code == 200
    assert client.get(f"/staff/customers/{world['customer'].pk}/").status_code == 200
