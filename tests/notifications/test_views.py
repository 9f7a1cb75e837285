from __future__ import annotations

from django.urls import reverse

from notifications.models import MessageTemplate
from notifications.reminders import reminders_sweep
from notifications.services import message_enqueue
from tests.factories import StaffFactory

from .conftest import AS_OF


def test_the_outbox_shows_only_the_managers_own_book(make_contract, client):
    mine = make_contract(30)
    theirs = make_contract(30)
    reminders_sweep(as_of=AS_OF)
    client.force_login(mine.owner)

    response = client.get(reverse("notifications:outbox"), {"q": ""})

    assert response.status_code == 200
    assert f"<td>{mine.number}</td>" in response.text
    assert f"<td>{theirs.number}</td>" not in response.text
    other = client.get(reverse("notifications:outbox"), {"q": theirs.number, "status": "pending"})
    assert f"<td>{theirs.number}</td>" not in other.text


def test_the_outbox_ignores_nonsense_filters(make_contract, client):
    contract = make_contract(30)
    client.force_login(contract.owner)
    response = client.get(
        reverse("notifications:outbox"), {"status": "x' OR 1=1", "channel": "?", "page": "abc"}
    )
    assert response.status_code == 200


def test_the_bell_counts_unread_notifications_and_clears_them(make_contract, client):
    manager = StaffFactory()
    message_enqueue(
        recipient_user=manager,
        channel="in_app",
        kind="care_birthday",
        language="en",
        context={"customer_name": "x"},
        dedupe_key="bell-1",
    )
    client.force_login(manager)

    page = client.get(reverse("notifications:mine"))
    assert 'data-testid="bell-count">1' in page.text

    client.post(reverse("notifications:mine-read"))
    assert 'data-testid="bell-count"' not in client.get(reverse("notifications:mine")).text


def test_a_customer_cannot_open_the_staff_outbox(make_contract, client):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    assert client.get(reverse("notifications:outbox")).status_code == 403


def test_the_admin_previews_a_template_on_a_sample_contract(make_contract, admin_client):
    contract = make_contract(30)
    template = MessageTemplate.objects.create(
        kind="renewal_reminder",
        language="en",
        channel="email",
        subject="{{ contract_number }} ends {{ end_date|date:'Y-m-d' }}",
        body_text="Fee {{ currency }} {{ next_fee }}",
        body_html="<p>{{ links.renew }}</p>",
    )

    url = reverse("admin:notifications_messagetemplate_preview", args=[template.pk])
    response = admin_client.get(url, {"contract": contract.pk})

    assert response.status_code == 200
    assert f"{contract.number} ends {contract.end_date:%Y-%m-%d}" in response.text
    assert "/portal/act/renew/" in response.text


def test_the_contract_page_lists_every_message_about_the_contract(make_contract, client):
    from notifications.services import outbox_deliver_due

    contract = make_contract(30)
    reminders_sweep(as_of=AS_OF)
    outbox_deliver_due()
    client.force_login(contract.owner)

    page = client.get(reverse("contracts:detail", args=[contract.pk]))

    assert page.status_code == 200
    assert 'id="contract-messages"' in page.text
    subject = contract.messages.get().subject
    assert subject and subject in page.text


def test_the_staff_navbar_shows_the_bell(make_contract, client):
    contract = make_contract(30)
    client.force_login(contract.owner)
    page = client.get(reverse("notifications:outbox"))
    assert reverse("notifications:mine") in page.text
