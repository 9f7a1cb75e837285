from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import time_machine
from django.urls import reverse

from contracts.services import event_record
from customers.models import Contact
from tests.factories import ContactFactory, ContractFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 5, 10)


@time_machine.travel(dt.datetime(2026, 5, 10, 4, 0, tzinfo=dt.UTC), tick=False)
def test_the_dashboard_lists_own_contracts_with_days_to_end(customer_client, customer):
    ContractFactory(
        customer=customer,
        number="HT-OWN-1",
        start_date=dt.date(2025, 6, 1),
        end_date=TODAY + dt.timedelta(days=20),
    )
    ContractFactory(customer=customer, number="HT-DRAFT", status="draft")
    ContractFactory(number="HT-FOREIGN")

    html = customer_client.get(reverse("portal:home")).content.decode()

    assert "HT-OWN-1" in html
    assert "in 20 days" in html
    assert "HT-DRAFT" not in html
    assert "HT-FOREIGN" not in html
    # a contract ending within 60 days without auto-renewal is a pending action
    assert "Contract HT-OWN-1 ends in 20 days" in html


def test_contract_detail_shows_lines_and_customer_visible_history(customer_client, contract):
    event_record(contract=contract, kind="updated", by=None, payload={"internal": "x"})
    event_record(contract=contract, kind="activated", by=None, to_status="active")

    html = customer_client.get(
        reverse("portal:contract-detail", kwargs={"pk": contract.pk})
    ).content.decode()

    assert contract.number in html
    assert "Service" in html  # the line
    assert "Service started" in html
    assert "internal" not in html


def test_preferences_change_channels_and_language(customer_client, customer, portal_user):
    response = customer_client.post(
        reverse("portal:preferences"),
        {"notify_email": "on", "notify_in_app": "on", "language": "zh-hans"},
    )

    assert response.status_code == 302
    customer.refresh_from_db()
    portal_user.refresh_from_db()
    assert (customer.notify_email, customer.notify_sms, customer.notify_in_app) == (
        True,
        False,
        True,
    )
    assert customer.language == "zh-hans"
    assert portal_user.language == "zh-hans"
    page = customer_client.get(reverse("portal:preferences"))
    assert '<html lang="zh-hans">' in page.content.decode()


def test_the_preferences_page_explains_that_legal_notices_cannot_be_switched_off(customer_client):
    html = customer_client.get(reverse("portal:preferences")).content.decode()

    assert "required by law" in html


def test_a_customer_edits_a_contact(customer_client, customer):
    contact = ContactFactory(customer=customer, name="Old", email="old@acme.example")

    response = customer_client.post(
        reverse("portal:contact-edit", kwargs={"pk": contact.pk}),
        {"name": "New Name", "email": "new@acme.example", "phone": "+86 10 1234", "role": "CFO"},
    )

    assert response.status_code == 302
    contact.refresh_from_db()
    assert (contact.name, contact.email, contact.role) == ("New Name", "new@acme.example", "CFO")
    assert contact.is_primary is True


def test_contact_errors_are_announced_next_to_the_field(customer_client, customer):
    contact = ContactFactory(customer=customer)

    response = customer_client.post(
        reverse("portal:contact-edit", kwargs={"pk": contact.pk}), {"name": "", "email": "bad"}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert 'aria-describedby="id_email_error"' in html
    assert 'id="id_name_error"' in html
    assert Contact.objects.get(pk=contact.pk).name == "Primary Contact"


def test_a_customer_sets_and_then_uses_a_password(customer_client, portal_user):
    portal_user.set_unusable_password()
    portal_user.save()
    customer_client.force_login(portal_user)

    response = customer_client.post(
        reverse("portal:password-change"),
        {"new_password1": "Lantern-Harbor-77", "new_password2": "Lantern-Harbor-77"},
    )

    assert response.status_code == 302
    portal_user.refresh_from_db()
    assert portal_user.check_password("Lantern-Harbor-77")


def test_every_portal_page_sends_a_content_security_policy(customer_client, contract):
    response = customer_client.get(reverse("portal:home"))

    csp = response.headers.get("Content-Security-Policy", "")
    assert "script-src 'self'" in csp
    assert "style-src 'self'" in csp
    assert "unsafe-inline" not in csp


def test_portal_templates_have_no_inline_script_or_style():
    root = Path(__file__).resolve().parents[2] / "portal" / "templates"
    offenders = []
    for path in root.rglob("*.html"):
        text = path.read_text()
        if re.search(r"<style\b", text, re.I) or re.search(r"\sstyle\s*=", text, re.I):
            offenders.append(f"{path.name}: inline style")
        for tag in re.findall(r"<script\b[^>]*>", text, re.I):
            if "src=" not in tag:
                offenders.append(f"{path.name}: inline script")
        if re.search(r"\son[a-z]+\s*=", text, re.I):
            offenders.append(f"{path.name}: inline event handler")
    assert offenders == []


def _in_app(customer, n=1, **kw):
    from notifications.models import Message

    return Message.objects.create(
        customer=customer,
        channel="in_app",
        kind="notice",
        template_kind="notice",
        language="en",
        subject=kw.get("subject", f"Notice {n}"),
        body_text="Your contract ends soon.",
        dedupe_key=f"test-notice-{customer.pk}-{n}",
        status="sent",
    )


def test_the_inbox_shows_in_app_messages_and_reading_it_changes_nothing(customer_client, customer):
    message = _in_app(customer, subject="Renewal reminder")

    html = customer_client.get(reverse("portal:messages")).content.decode()

    assert "Renewal reminder" in html
    assert "Your contract ends soon." in html
    message.refresh_from_db()
    assert message.read_at is None


def test_marking_a_message_read_needs_a_post(customer_client, customer):
    message = _in_app(customer)
    url = reverse("portal:message-read", kwargs={"pk": message.pk})

    assert customer_client.get(url).status_code == 405
    assert customer_client.post(url).status_code == 302
    message.refresh_from_db()
    assert message.read_at is not None


def test_the_navigation_shows_the_unread_count(customer_client, customer):
    _in_app(customer, 1)
    _in_app(customer, 2)

    html = customer_client.get(reverse("portal:home")).content.decode()

    assert re.search(r"Messages\s*<span[^>]*>2</span>", html)
