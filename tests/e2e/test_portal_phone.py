"""The customer portal on a phone (390×844) in Debian's Chromium.

Uses the shared fixtures of tests/e2e/conftest.py (browser, page); screenshots go to
test-artifacts/portal-*.png.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import URLPattern, URLResolver, get_resolver

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PHONE = {"width": 390, "height": 844}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_context_args():
    # Overrides tests/e2e/conftest.py: a phone.
    return {
        "viewport": PHONE,
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
        "locale": "en-US",
    }


@pytest.fixture
def phone(page):
    """The shared ``page`` (console errors and CSP violations collected in
    ``page.js_errors``), plus every HTTP error response."""
    page.on(
        "response",
        lambda r: page.js_errors.append(f"HTTP {r.status} {r.url}") if r.status >= 400 else None,
    )
    return page


@pytest.fixture(autouse=True)
def _deliver_in_process(monkeypatch):
    from notifications import tasks

    monkeypatch.setattr(
        tasks.deliver_message_task,
        "apply_async",
        lambda args=None, **kw: tasks.deliver_message_task.run(*(args or [])),
    )


@pytest.fixture
def world(db, tmp_path, settings):
    from django.core.files.base import ContentFile

    from contracts.services import event_record
    from core.models import Document, DocumentKind
    from portal.services import feedback_reply_add, feedback_submit
    from tests.factories import (
        ContactFactory,
        ContractFactory,
        CustomerFactory,
        PortalAccountFactory,
        StaffFactory,
        UserFactory,
    )

    settings.MEDIA_ROOT = str(tmp_path)
    manager = StaffFactory(
        username="wang", first_name="Wei", last_name="Wang", email="wang@rd.example"
    )
    customer = CustomerFactory(
        name="上海远景信息科技有限公司 Vision Technology", account_manager=manager
    )
    user = UserFactory(
        username="lina", email="lina@vision.example", first_name="Li", last_name="Na"
    )
    PortalAccountFactory(user=user, customer=customer)
    ContactFactory(
        customer=customer,
        name="李娜 Li Na",
        email="lina@vision.example",
        phone="+86 138 0000 1234",
        role="采购经理",
    )
    contract = ContractFactory(customer=customer, number="HT-2026-000123")
    ContractFactory(customer=customer, number="HT-2026-000124", status="awaiting_signature")
    event_record(contract=contract, kind="activated", by=None, to_status="active")
    doc = Document(
        kind=DocumentKind.CONTRACT,
        title="Contract HT-2026-000123.pdf",
        sha256="0" * 64,
        size=3,
        customer=customer,
        contract=contract,
    )
    doc.file.save("ht.pdf", ContentFile(b"%PDF-1.4"), save=False)
    doc.save()
    item = feedback_submit(
        customer=customer,
        by=user,
        category="billing",
        severity="high",
        subject="Invoice for March shows the wrong amount of licences",
        body="We have 40 seats, the invoice shows 45.",
        contract=contract,
    )
    feedback_reply_add(
        feedback=item, by=manager, body="Thank you, we are correcting it.", from_staff=True
    )
    return {
        "user": user,
        "customer": customer,
        "contract": contract,
        "feedback": item,
        "document": doc,
    }


def _shot(page, name: str) -> None:
    """A full-page PNG. The bottom tab bar is position:fixed, which a full-page capture
    would paint over the middle of the page: for the picture only, it is moved to the end
    of the page, where a phone shows it once scrolled to the bottom."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.evaluate(
        """() => { const nav = document.querySelector('.portal-nav');
                   if (nav) { document.body.appendChild(nav); nav.style.position = 'static'; } }"""
    )
    page.screenshot(path=str(ARTIFACTS / f"portal-{name}.png"), full_page=True)


def _assert_fits_the_phone(page, where: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{where}: horizontal scrolling ({width}px)"


def _assert_tap_targets_and_labels(page, where: str) -> None:
    small = page.evaluate(
        """() => [...document.querySelectorAll(
            'button, .btn, input:not([type=hidden]), select, textarea, '
            + '.portal-nav-link, .portal-tap-link'
        )].filter(el => el.offsetParent !== null).map(el => {
            // A checkbox is tapped through its label too: measure the label.
            const box = (el.type === 'checkbox' || el.type === 'radio') && el.labels.length
                ? el.labels[0] : el;
            const r = box.getBoundingClientRect();
            const t = (el.innerText || el.name || el.id).trim().slice(0, 40);
            return {h: r.height, w: r.width, t: t};
        }).filter(r => r.h < 44 || (r.w < 24))"""
    )
    assert small == [], f"{where}: tap targets smaller than 44px: {small}"
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
            .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
            .map(el => el.name)"""
    )
    assert unlabelled == [], f"{where}: inputs without a label: {unlabelled}"


def test_a_customer_logs_in_by_link_on_a_phone_and_opens_a_contract(live_server, phone, world):
    from notifications.models import Message

    page = phone
    page.goto(f"{live_server.url}/portal/login/")
    _shot(page, "01-login")
    page.get_by_label("Your e-mail address").fill("lina@vision.example")
    page.get_by_role("button", name="E-mail me a login link").click()
    page.wait_for_url("**/portal/login/sent/")
    assert page.get_by_role("heading", name="Check your e-mail").is_visible()
    _shot(page, "02-link-sent")

    body = Message.objects.get(kind="portal_login_link").body_text
    path = re.search(r"(/portal/login/link/\S+/)", body).group(1)
    page.goto(f"{live_server.url}{path}")
    assert "lina@vision.example" in page.content()
    _shot(page, "03-confirm")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/portal/")
    assert page.get_by_role("heading", name="Your contracts").is_visible()
    _assert_fits_the_phone(page, "dashboard")
    _shot(page, "04-dashboard")

    page.get_by_role("link", name=re.compile("HT-2026-000123")).first.click()
    page.wait_for_url(f"**/portal/contracts/{world['contract'].pk}/")
    assert page.get_by_role("heading", name="Contract HT-2026-000123").is_visible()
    assert page.get_by_text("Service started").is_visible()
    _assert_fits_the_phone(page, "contract detail")
    _shot(page, "05-contract")
    assert page.js_errors == []


def _portal_urls(world) -> list[tuple[str, str]]:
    """Every portal page a logged-in customer can open, from the resolver."""
    own = {
        "contracts": world["contract"].pk,
        "contacts": world["customer"].contacts.first().pk,
        "feedback": world["feedback"].pk,
    }
    skip = {"logout", "magic-link", "login", "login-sent", "password-login", "document-download"}
    found = []

    def walk(patterns, prefix="", ns=""):
        for p in patterns:
            route = str(p.pattern)
            if isinstance(p, URLResolver):
                yield from walk(
                    p.url_patterns, prefix + route, f"{ns}{p.namespace}:" if p.namespace else ns
                )
            elif isinstance(p, URLPattern):
                yield prefix + route, p.name or ""

    for route, name in walk(get_resolver().url_patterns):
        if not route.startswith("portal/") or name in skip:
            continue
        if "<" in route:
            first = route.split("/")[1]
            if first not in own:
                continue  # a page another app added: covered by its own tests
            route = re.sub(r"<[^>]+>", str(own[first]), route)
        found.append((name or route, "/" + route))
    return found


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_portal_page_fits_a_phone_without_errors(live_server, phone, world, client, language):
    world["user"].language = language
    world["user"].save()
    client.force_login(world["user"])
    phone.context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    # Pages other apps added (renewal, cancellation) join in when they are plain GET pages.
    pages = [(n, p) for n, p in _portal_urls(world) if client.get(p).status_code == 200]
    assert len(pages) >= 11

    for name, path in pages:
        response = phone.goto(f"{live_server.url}{path}")
        assert response.status == 200, f"{path}: {response.status}"
        assert phone.evaluate("document.documentElement.lang") == language
        _assert_fits_the_phone(phone, path)
        _assert_tap_targets_and_labels(phone, path)
        _shot(phone, f"{language}-{name}")

    assert phone.js_errors == []


def test_the_login_and_error_pages_fit_a_phone(live_server, phone, world, settings):
    settings.RENEWDESK = {
        **settings.RENEWDESK,
        "PORTAL_RATE_LIMITS": {"link": {"per_address": 1, "per_ip": 1, "window": 900}},
    }
    pages = [
        ("login", "/portal/login/", 200),
        ("login-sent", "/portal/login/sent/", 200),
        ("password-login", "/portal/login/password/?next=/portal/", 200),
        ("bad-link", "/portal/login/link/not-a-token/", 400),
    ]
    for name, path, status in pages:
        response = phone.goto(f"{live_server.url}{path}")
        assert response.status == status, path
        _assert_fits_the_phone(phone, path)
        _assert_tap_targets_and_labels(phone, path)
        _shot(phone, f"anon-{name}")

    # two link requests from one IP: the second is refused with the 429 page
    for _ in range(2):
        phone.goto(f"{live_server.url}/portal/login/")
        phone.get_by_label("Your e-mail address").fill("nobody@example.com")
        phone.get_by_role("button", name="E-mail me a login link").click()
    assert phone.get_by_role("heading", name="Too many attempts").is_visible()
    _assert_fits_the_phone(phone, "429 page")
    _shot(phone, "anon-rate-limited")

    expected = [e for e in phone.js_errors if "400" in e or "429" in e]
    assert [e for e in phone.js_errors if e not in expected] == []
