from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from customers.models import Contact, Customer
from tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers/"


def _codes(response):
    assert response.status_code == 200, response.json()
    return [c["code"] for c in response.json()["results"]]


def test_a_managers_token_sees_only_their_own_customers(client_for, manager, other_manager):
    CustomerFactory(code="A1", account_manager=manager)
    theirs = CustomerFactory(code="B1", account_manager=other_manager)

    assert _codes(client_for.get(URL)) == ["A1"]
    response = client_for.get(f"{URL}{theirs.pk}/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_team_leads_token_sees_every_book(make_client, team_lead, manager, other_manager):
    CustomerFactory(code="A1", account_manager=manager)
    CustomerFactory(code="B1", account_manager=other_manager)

    assert _codes(make_client(team_lead, "read").get(URL)) == ["A1", "B1"]


def test_it_lists_with_pagination(client_for, manager):
    for i in range(3):
        CustomerFactory(code=f"P{i}", account_manager=manager)

    body = client_for.get(URL, {"page_size": 2}).json()

    assert body["count"] == 3
    assert [c["code"] for c in body["results"]] == ["P0", "P1"]
    assert body["next"].endswith("page=2&page_size=2")


def test_it_answers_404_for_a_page_past_the_end(client_for):
    response = client_for.get(URL, {"page": 9})

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_it_filters_by_manager_tier_search_and_updated_since(
    make_client, team_lead, manager, other_manager
):
    client = make_client(team_lead, "read")
    with time_machine.travel(dt.datetime(2026, 1, 1, tzinfo=dt.UTC), tick=False):
        CustomerFactory(code="OLD", name="Old Co", account_manager=manager)
    with time_machine.travel(dt.datetime(2026, 6, 1, tzinfo=dt.UTC), tick=False):
        CustomerFactory(code="NEW", name="Fresh Co", account_manager=other_manager, tier="A")

    assert _codes(client.get(URL, {"manager": "alice"})) == ["OLD"]
    assert _codes(client.get(URL, {"tier": "A"})) == ["NEW"]
    assert _codes(client.get(URL, {"search": "fresh"})) == ["NEW"]
    assert _codes(client.get(URL, {"updated_since": "2026-03-01T00:00:00Z"})) == ["NEW"]
    assert _codes(client.get(URL, {"ordering": "-code"})) == ["OLD", "NEW"]


def test_it_rejects_a_malformed_filter_with_a_field_error(client_for):
    response = client_for.get(URL, {"updated_since": "yesterday"})

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert "updated_since" in error["fields"]


def test_it_creates_a_customer_with_a_primary_contact_assigned_to_the_caller(client_for, manager):
    response = client_for.post(
        URL,
        {
            "code": "NEW1",
            "name": "上海新客户",
            "kind": "company",
            "language": "zh-hans",
            "contact": {"name": "王芳", "email": "wang@example.com"},
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["account_manager"] == "alice"
    assert body["effective_tier"] == "C"
    customer = Customer.objects.get(code="NEW1")
    assert customer.account_manager == manager
    assert customer.contacts.get().is_primary


def test_it_refuses_a_duplicate_code_with_a_clear_message(client_for, manager):
    CustomerFactory(code="DUP", account_manager=manager)

    response = client_for.post(URL, {"code": "DUP", "name": "Again"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "domain_error"
    assert "already exists" in response.json()["error"]["message"]


def test_a_manager_cannot_assign_a_customer_to_someone_else(client_for, other_manager):
    response = client_for.post(
        URL, {"code": "X", "name": "X", "account_manager": "bob"}, format="json"
    )

    assert response.status_code == 400
    assert "account_manager" in response.json()["error"]["fields"]


def test_a_team_lead_can_assign_a_customer_to_a_manager(make_client, team_lead, other_manager):
    response = make_client(team_lead).post(
        URL, {"code": "X", "name": "X", "account_manager": "bob"}, format="json"
    )

    assert response.status_code == 201
    assert Customer.objects.get(code="X").account_manager == other_manager


def test_it_reports_every_invalid_field(client_for):
    response = client_for.post(URL, {"kind": "robot", "birthday": "soon"}, format="json")

    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert {"code", "name", "kind", "birthday"} <= set(fields)


def test_it_updates_a_customer(client_for, manager):
    customer = CustomerFactory(code="U1", name="Before", account_manager=manager)

    response = client_for.patch(f"{URL}{customer.pk}/", {"name": "After"}, format="json")

    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.name == "After"


def test_it_refuses_to_change_a_customers_code(client_for, manager):
    customer = CustomerFactory(code="U1", account_manager=manager)

    response = client_for.patch(f"{URL}{customer.pk}/", {"code": "U2"}, format="json")

    assert response.status_code == 400
    assert "code" in response.json()["error"]["fields"]


def test_a_manager_cannot_update_another_managers_customer(client_for, other_manager):
    theirs = CustomerFactory(account_manager=other_manager, name="Theirs")

    response = client_for.patch(f"{URL}{theirs.pk}/", {"name": "Mine now"}, format="json")

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.name == "Theirs"


def test_put_and_delete_are_not_allowed(client_for, manager):
    customer = CustomerFactory(account_manager=manager)

    assert client_for.put(f"{URL}{customer.pk}/", {}, format="json").status_code == 405
    response = client_for.delete(f"{URL}{customer.pk}/")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


# Contacts


def test_it_lists_only_contacts_of_visible_customers(client_for, manager, other_manager):
    mine = ContactFactory(customer=CustomerFactory(account_manager=manager), name="Mine")
    ContactFactory(customer=CustomerFactory(account_manager=other_manager), name="Theirs")

    response = client_for.get("/api/v1/contacts/")

    assert [c["id"] for c in response.json()["results"]] == [mine.pk]


def test_it_adds_a_primary_contact_demoting_the_previous_one(client_for, manager):
    customer = CustomerFactory(account_manager=manager)
    old = ContactFactory(customer=customer, is_primary=True)

    response = client_for.post(
        "/api/v1/contacts/",
        {
            "customer": customer.pk,
            "name": "New boss",
            "email": "boss@example.com",
            "is_primary": True,
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    old.refresh_from_db()
    assert not old.is_primary
    assert Contact.objects.get(name="New boss").is_primary


def test_it_cannot_add_a_contact_to_another_managers_customer(client_for, other_manager):
    theirs = CustomerFactory(account_manager=other_manager)

    response = client_for.post(
        "/api/v1/contacts/", {"customer": theirs.pk, "name": "Spy"}, format="json"
    )

    assert response.status_code == 400
    assert "customer" in response.json()["error"]["fields"]
    assert not theirs.contacts.exists()


def test_it_updates_a_contact(client_for, manager):
    contact = ContactFactory(customer=CustomerFactory(account_manager=manager), phone="")

    response = client_for.patch(
        f"/api/v1/contacts/{contact.pk}/", {"phone": "+86 21 5555 0000"}, format="json"
    )

    assert response.status_code == 200
    contact.refresh_from_db()
    assert contact.phone == "+86 21 5555 0000"


def test_it_filters_contacts_by_customer(client_for, manager):
    a = ContactFactory(customer=CustomerFactory(account_manager=manager))
    ContactFactory(customer=CustomerFactory(account_manager=manager))

    response = client_for.get("/api/v1/contacts/", {"customer": a.customer_id})

    assert [c["id"] for c in response.json()["results"]] == [a.pk]


def test_updated_since_uses_the_given_offset(client_for, manager):
    customer = CustomerFactory(account_manager=manager)
    later = (customer.updated_at + dt.timedelta(hours=1)).astimezone(
        timezone.get_fixed_timezone(480)
    )

    response = client_for.get(URL, {"updated_since": later.isoformat()})

    assert _codes(response) == []


def test_an_offset_postgresql_cannot_store_is_normalised_not_a_crash(client_for, manager):
    CustomerFactory(account_manager=manager, code="Z1")

    response = client_for.get(URL, {"updated_since": "2000-01-01T00:00:00-23:27"})

    assert _codes(response) == ["Z1"]


def test_a_date_time_out_of_range_is_a_400(client_for):
    response = client_for.get(URL, {"updated_since": "9999-12-31T23:59:59-23:00"})

    assert response.status_code == 400
    assert "updated_since" in response.json()["error"]["fields"]


def test_a_uniqueness_race_is_a_409_not_a_500(client_for, manager, monkeypatch):
    from django.db import IntegrityError

    def racing_create(**kwargs):
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr("api.views.customers.customer_create", racing_create)

    response = client_for.post(URL, {"code": "RACE", "name": "x"}, format="json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("birthday", "A birthday cannot be in the future."),
        ("founded_on", "A founding date cannot be in the future."),
    ],
)
def test_a_birthday_or_founding_date_in_the_future_is_refused_on_its_field(
    client_for, field, message
):
    with time_machine.travel(dt.datetime(2026, 6, 15, 4, 0, tzinfo=dt.UTC), tick=False):
        response = client_for.post(
            "/api/v1/customers/",
            {
                "code": "F1",
                "name": "Future",
                "kind": "company",
                "language": "en",
                field: "2026-06-16",
            },
            format="json",
        )

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {field: [message]}
    assert not Customer.objects.filter(code="F1").exists()
