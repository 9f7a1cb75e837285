from __future__ import annotations

import pytest
from django.urls import reverse

from lifecycle.reminder_sweep import reminders_sweep
from notifications.models import MessageTemplate
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


# Every kind of recipient a message can have, in every staff listing (issue #13, item 5).


@pytest.fixture
def every_recipient_kind(make_contract, smtp_server):
    """Messages about one contract for every kind of recipient: the customer's contact by
    email and SMS, the customer's portal inbox, a staff user, and nobody (a row written by
    hand or an import); plus the staff alert the failure service writes when the email
    bounces with a permanent 550."""
    from notifications.models import Message
    from notifications.services import message_deliver

    contract = make_contract(30)
    owner, customer = contract.owner, contract.customer

    def enqueue(key, channel, **recipient):
        return message_enqueue(
            channel=channel,
            kind="care_birthday",
            language="en",
            context={"customer_name": customer.name},
            dedupe_key=key,
            contract=contract,
            **recipient,
        )

    email = enqueue("to-contact-email", "email", recipient_customer=customer)
    sms = enqueue("to-contact-phone", "sms", recipient_customer=customer)
    portal = enqueue("to-portal", "in_app", recipient_customer=customer)
    staff = enqueue("to-staff", "email", recipient_user=owner)
    nobody = Message.objects.create(
        contract=contract,
        channel="in_app",
        kind="care_birthday",
        template_kind="care_birthday",
        language="en",
        subject="Orphan",
        dedupe_key="to-nobody",
    )
    smtp_server.replies = ["550 No such user"]
    assert message_deliver(message_id=email.pk) == "failed"
    alert = Message.objects.get(kind="message_failed")
    assert alert.customer is None and alert.user == owner
    return contract, [email, sms, portal, staff, nobody, alert]


def test_every_listing_shows_a_message_of_every_recipient_kind(every_recipient_kind, client):
    contract, messages = every_recipient_kind
    client.force_login(contract.owner)

    pages = {
        "contract": client.get(reverse("contracts:detail", args=[contract.pk])),
        "outbox": client.get(reverse("notifications:outbox")),
        "failed": client.get(reverse("notifications:failed")),
        "mine": client.get(reverse("notifications:mine")),
        **{
            f"detail {m.dedupe_key}": client.get(reverse("notifications:detail", args=[m.pk]))
            for m in messages
        },
    }

    assert {name: page.status_code for name, page in pages.items()} == dict.fromkeys(pages, 200)
    contract_page = pages["contract"].text
    for m in messages:
        assert reverse("notifications:detail", args=[m.pk]) in contract_page
    owner_name = contract.owner.get_full_name()
    assert f"<td>{owner_name}</td>" in contract_page  # the alert's staff recipient
    assert f"<td>{contract.customer.name}</td>" in contract_page  # the portal inbox
    assert 'data-testid="bell-count">1' in pages["mine"].text


def test_a_team_lead_opens_every_message_listed_on_a_contract_page(
    every_recipient_kind, client, team_lead
):
    contract, messages = every_recipient_kind
    client.force_login(team_lead)

    assert client.get(reverse("contracts:detail", args=[contract.pk])).status_code == 200
    statuses = {
        m.dedupe_key: client.get(reverse("notifications:detail", args=[m.pk])).status_code
        for m in messages
    }
    assert statuses == dict.fromkeys(statuses, 200)


def test_a_manager_cannot_open_a_message_about_another_managers_contract(
    every_recipient_kind, client
):
    _contract, messages = every_recipient_kind
    client.force_login(StaffFactory())

    statuses = {
        m.dedupe_key: client.get(reverse("notifications:detail", args=[m.pk])).status_code
        for m in messages
    }
    assert statuses == dict.fromkeys(statuses, 404)


# NUL characters in the outbox filters (issue #13, item 7).


@pytest.fixture
def without_nul_middleware(settings):
    """The views' own defence, without the project-wide middleware that answers any query
    string holding a NUL with a 400 before the view runs."""
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "NulInput" not in m]


@pytest.mark.parametrize("page", ["notifications:outbox", "notifications:failed"])
@pytest.mark.parametrize(
    ("param", "label"),
    [
        ("q", "Contract number or address"),
        ("kind", "Kind"),
        ("status", "Status"),
        ("channel", "Channel"),
    ],
)
def test_a_nul_character_in_a_filter_is_refused_with_the_fields_name(
    make_contract, client, without_nul_middleware, page, param, label
):
    contract = make_contract(30)
    reminders_sweep(as_of=AS_OF)
    client.force_login(contract.owner)

    response = client.get(reverse(page), {param: "HT\x00"})

    assert response.status_code == 400
    assert f"<div>{label}: must not contain the NUL character (\\0).</div>" in response.text
    assert contract.number not in response.text  # nothing listed under a refused filter
    assert "\x00" not in response.text  # the value is not echoed back


def test_the_nul_refusal_speaks_chinese(make_contract, client, without_nul_middleware):
    contract = make_contract(30)
    contract.owner.language = "zh-hans"
    contract.owner.save()
    client.force_login(contract.owner)

    response = client.get(reverse("notifications:outbox"), {"q": "\x00"})

    assert response.status_code == 400
    assert "<div>合同编号或地址：不能包含 NUL 字符（\\0）。</div>" in response.text


def test_an_overlong_search_is_refused_not_cut(make_contract, client):
    contract = make_contract(30)
    client.force_login(contract.owner)

    response = client.get(reverse("notifications:outbox"), {"q": "x" * 101})

    assert response.status_code == 400
    assert "<div>Contract number or address: Ensure this value" in response.text
