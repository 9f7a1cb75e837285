from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import Task
from customers.models import Contact, Customer
from tests.factories import (
    ContactFactory,
    ContractFactory,
    CustomerFactory,
    PortalAccountFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db

# Session, user, permissions and the navbar (notification bell) take ~5 queries; the page
# itself 3-5. The same bound holds at 10 and at 200 rows: no query per row.
MAX_QUERIES = 12


def codes(response) -> list[str]:
    return [c.code for c in response.context["page_obj"].object_list]


# --- access ---------------------------------------------------------------------------


def test_it_lists_only_the_managers_own_customers(client, manager):
    CustomerFactory(account_manager=manager, code="A1")
    CustomerFactory(code="B1")
    client.force_login(manager)
    assert codes(client.get(reverse("customers:list"))) == ["A1"]


def test_it_returns_404_for_another_managers_customer(client, manager):
    theirs = CustomerFactory()
    client.force_login(manager)
    assert client.get(reverse("customers:detail", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("customers:edit", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("customers:contact-add", args=[theirs.pk])).status_code == 404
    response = client.post(
        reverse("customers:tier-override", args=[theirs.pk]), {"tier": "A", "reason": "x"}
    )
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.tier_override == ""


def test_it_shows_a_team_lead_all_customers_and_filters_by_manager(client, team_lead, manager):
    CustomerFactory(account_manager=manager, code="A1")
    other = CustomerFactory(code="B1")
    client.force_login(team_lead)
    assert codes(client.get(reverse("customers:list"))) == ["A1", "B1"]
    response = client.get(reverse("customers:list"), {"manager": other.account_manager.pk})
    assert codes(response) == ["B1"]
    assert client.get(reverse("customers:detail", args=[other.pk])).status_code == 200


def test_it_keeps_portal_users_out(client):
    account = PortalAccountFactory()
    client.force_login(account.user)
    assert client.get(reverse("customers:list")).status_code == 403
    assert client.get(reverse("customers:detail", args=[account.customer.pk])).status_code == 403


# --- list -----------------------------------------------------------------------------


def test_it_searches_code_name_and_contact_email_or_phone(client, manager):
    a = CustomerFactory(account_manager=manager, code="A1", name="Alpha Trading")
    b = CustomerFactory(account_manager=manager, code="B1", name="北京科技有限公司")
    ContactFactory(customer=a, email="li.wei@alpha.example", phone="13800000001")
    ContactFactory(customer=b, email="zhang@beta.example", phone="13900000002", is_primary=False)
    client.force_login(manager)
    url = reverse("customers:list")
    assert codes(client.get(url, {"q": "alpha"})) == ["A1"]
    assert codes(client.get(url, {"q": "科技"})) == ["B1"]
    assert codes(client.get(url, {"q": "zhang@beta"})) == ["B1"]
    assert codes(client.get(url, {"q": "13800000001"})) == ["A1"]
    assert codes(client.get(url, {"q": "b1"})) == ["B1"]


def test_it_filters_by_effective_tier(client, manager):
    CustomerFactory(account_manager=manager, code="A1", tier="A")
    CustomerFactory(account_manager=manager, code="C1", tier="C", tier_override="A")
    CustomerFactory(account_manager=manager, code="A2", tier="A", tier_override="B")
    client.force_login(manager)
    assert codes(client.get(reverse("customers:list"), {"tier": "A"})) == ["A1", "C1"]
    assert codes(client.get(reverse("customers:list"), {"tier": "B"})) == ["A2"]


def test_it_sorts_by_name_and_value(client, manager):
    a = CustomerFactory(account_manager=manager, code="A1", name="Zeta")
    b = CustomerFactory(account_manager=manager, code="B1", name="Alpha")
    ContractFactory(customer=a, annual_value="100.00")
    ContractFactory(customer=b, annual_value="900.00")
    client.force_login(manager)
    url = reverse("customers:list")
    assert codes(client.get(url, {"sort": "name"})) == ["B1", "A1"]
    assert codes(client.get(url, {"sort": "-value"})) == ["B1", "A1"]
    assert codes(client.get(url, {"sort": "-code"})) == ["B1", "A1"]


def test_it_answers_bad_filter_values_without_an_error(client, manager):
    CustomerFactory(account_manager=manager)
    client.force_login(manager)
    response = client.get(reverse("customers:list"), {"tier": "Z", "sort": "x", "page": "-1"})
    assert response.status_code == 200


@pytest.mark.parametrize("rows", [10, 200])
def test_it_lists_customers_in_a_constant_number_of_queries(
    client, team_lead, django_assert_max_num_queries, rows
):
    for _ in range(rows):
        customer = CustomerFactory()
        ContactFactory(customer=customer)
        ContractFactory(customer=customer)
    client.force_login(team_lead)
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(reverse("customers:list"), {"sort": "-value"})
    assert response.status_code == 200
    assert len(codes(response)) == min(rows, 25)


# --- detail ---------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [10, 200])
def test_it_shows_a_customer_in_a_constant_number_of_queries(
    client, manager, django_assert_max_num_queries, rows
):
    customer = CustomerFactory(account_manager=manager)
    for i in range(rows):
        ContactFactory(customer=customer, is_primary=(i == 0))
        ContractFactory(customer=customer)
        Task.objects.create(
            assignee=manager,
            kind="follow_up",
            title=f"Call {i}",
            due_date=timezone.localdate(),
            customer=customer,
        )
    PortalAccountFactory(customer=customer)
    client.force_login(manager)
    # Three more than the list: the saved payment methods (payments_tags), the loyalty
    # card's ledger aggregate and level (loyalty_tags).
    with django_assert_max_num_queries(MAX_QUERIES + 3):
        response = client.get(reverse("customers:detail", args=[customer.pk]))
    assert response.status_code == 200
    assert response.context["contract_count"] == rows


def test_it_shows_contacts_contracts_tier_and_tasks(client, manager):
    customer = CustomerFactory(account_manager=manager, name="Alpha Ltd", tier="C")
    ContactFactory(customer=customer, name="Li Wei", email="li@alpha.example")
    contract = ContractFactory(customer=customer, number="HT-2026-000042")
    Task.objects.create(
        assignee=manager,
        kind="follow_up",
        title="Call about renewal",
        due_date=timezone.localdate() + dt.timedelta(days=3),
        customer=customer,
        contract=contract,
    )
    client.force_login(manager)
    html = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    for text in ("Alpha Ltd", "Li Wei", "li@alpha.example", "HT-2026-000042", "Call about renewal"):
        assert text in html


# --- create / edit --------------------------------------------------------------------


def _customer_post(**overrides) -> dict:
    data = {
        "code": "c12345",
        "name": "Gamma GmbH",
        "kind": "company",
        "language": "en",
        "notify_email": "on",
        "tags": "vip, cloud",
        "notes": "",
        "birthday": "",
        "founded_on": "2010-05-04",
        "contact_name": "Anna Schmidt",
        "contact_email": "anna@gamma.example",
        "contact_phone": "",
        "contact_role": "CFO",
    }
    data.update(overrides)
    return data


def test_it_creates_a_customer_with_a_primary_contact_in_the_managers_book(client, manager):
    client.force_login(manager)
    response = client.post(reverse("customers:create"), _customer_post())
    customer = Customer.objects.get(code="C12345")
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:detail", args=[customer.pk])
    assert customer.account_manager == manager
    contact = customer.contacts.get()
    assert contact.is_primary and contact.email == "anna@gamma.example"


def test_it_shows_validation_errors_on_create(client, manager):
    CustomerFactory(code="C12345")
    client.force_login(manager)
    response = client.post(
        reverse("customers:create"),
        _customer_post(name="", contact_email="not-an-email"),
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "This field is required." in html
    assert "Enter a valid email address." in html
    assert "already exists" in html
    assert Customer.objects.filter(name="Gamma GmbH").count() == 0


def test_a_manager_cannot_reassign_a_customer_but_a_team_lead_can(client, manager, team_lead):
    customer = CustomerFactory(account_manager=manager, code="A1")
    bob = StaffFactory(username="bob")
    data = _customer_post(code="A1", account_manager=bob.pk)
    client.force_login(manager)
    client.post(reverse("customers:edit", args=[customer.pk]), data)
    customer.refresh_from_db()
    assert customer.account_manager == manager
    assert customer.name == "Gamma GmbH"
    client.force_login(team_lead)
    client.post(reverse("customers:edit", args=[customer.pk]), data)
    customer.refresh_from_db()
    assert customer.account_manager == bob


def test_it_overrides_the_tier_with_who_and_why(client, manager):
    customer = CustomerFactory(account_manager=manager, tier="C")
    client.force_login(manager)
    url = reverse("customers:tier-override", args=[customer.pk])
    response = client.post(url, {"tier": "A", "reason": ""}, follow=True)
    assert "Give a reason for overriding the tier." in response.content.decode()
    client.post(url, {"tier": "A", "reason": "Strategic account"})
    customer.refresh_from_db()
    assert (customer.tier_override, customer.tier_override_by) == ("A", manager)
    assert customer.tier_override_reason == "Strategic account"
    client.post(url, {"tier": "", "reason": ""})
    customer.refresh_from_db()
    assert customer.tier_override == "" and customer.tier_override_by is None


def test_it_adds_a_contact_and_makes_it_primary(client, manager):
    customer = CustomerFactory(account_manager=manager)
    old = ContactFactory(customer=customer, is_primary=True)
    client.force_login(manager)
    response = client.post(
        reverse("customers:contact-add", args=[customer.pk]),
        {
            "name": "New Person",
            "email": "new@example.com",
            "phone": "",
            "role": "",
            "is_primary": "on",
        },
    )
    assert response.status_code == 302
    old.refresh_from_db()
    assert not old.is_primary
    assert Contact.objects.get(name="New Person").is_primary


def test_it_requires_an_email_or_phone_for_a_contact(client, manager):
    customer = CustomerFactory(account_manager=manager)
    client.force_login(manager)
    response = client.post(reverse("customers:contact-add", args=[customer.pk]), {"name": "Nobody"})
    assert "Give at least an email address or a phone number." in response.content.decode()


def test_it_404s_on_a_contact_of_another_customer(client, manager):
    customer = CustomerFactory(account_manager=manager)
    foreign = ContactFactory()
    client.force_login(manager)
    url = reverse("customers:contact-edit", args=[customer.pk, foreign.pk])
    assert client.get(url).status_code == 404


@pytest.fixture
def frozen_day():
    import time_machine

    with time_machine.travel(dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC), tick=False):
        yield dt.date(2026, 6, 15)


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("birthday", "A birthday cannot be in the future."),
        ("founded_on", "A founding date cannot be in the future."),
    ],
)
def test_a_birthday_or_founding_date_in_the_future_is_refused_beside_it(
    client, manager, frozen_day, field, message
):
    client.force_login(manager)

    response = client.post(reverse("customers:create"), _customer_post(**{field: "2026-06-16"}))

    assert response.status_code == 200
    assert response.context["form"].errors == {field: [message]}
    assert not Customer.objects.filter(code="C12345").exists()


def test_a_birthday_today_is_accepted(client, manager, frozen_day):
    client.force_login(manager)

    response = client.post(
        reverse("customers:create"), _customer_post(kind="individual", birthday="2026-06-15")
    )

    assert response.status_code == 302
    assert Customer.objects.get(code="C12345").birthday == frozen_day


def test_a_refused_tier_override_shows_its_error_beside_the_reason(client, manager):
    customer = CustomerFactory(account_manager=manager, tier="C")
    client.force_login(manager)

    response = client.post(
        reverse("customers:tier-override", args=[customer.pk]), {"tier": "A", "reason": "  "}
    )

    assert response.status_code == 200
    assert response.context["tier_form"].errors == {
        "reason": ["Give a reason for overriding the tier."]
    }
    assert response.context["tier_form"]["tier"].value() == "A"  # the choice is kept
    customer.refresh_from_db()
    assert customer.tier_override == ""


def test_a_contact_without_email_or_phone_is_told_so_beside_the_email(client, manager):
    customer = CustomerFactory(account_manager=manager)
    client.force_login(manager)

    response = client.post(reverse("customers:contact-add", args=[customer.pk]), {"name": "Nobody"})

    assert response.context["form"].errors == {
        "email": ["Give at least an email address or a phone number."]
    }
    assert not Contact.objects.filter(name="Nobody").exists()
