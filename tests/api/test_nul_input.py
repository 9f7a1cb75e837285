"""A NUL character in a query parameter, a JSON body or a header is a 400 in the API's
error format that names the field (PostgreSQL cannot store or compare such text)."""

from __future__ import annotations

import pytest

from customers.models import Customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

REFUSED = ["Null characters are not allowed."]


def test_a_nul_in_the_search_parameter_names_it(client_for):
    response = client_for.get("/api/v1/customers/?search=a%00b")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert response.json()["error"]["fields"] == {"search": REFUSED}


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"code": "N1", "name": "Acme\x00"}, {"name": REFUSED}),
        (
            {"code": "N1", "name": "Acme", "account_manager": "al\x00ice"},
            {"account_manager": REFUSED},
        ),
        ({"code": "N1", "name": "Acme", "tags": ["vip", "x\x00"]}, {"tags": REFUSED}),
        (
            {"code": "N1", "name": "Acme", "contact": {"name": "Li\x00"}},
            {"contact": {"name": REFUSED}},
        ),
        ({"code": "N1", "name": "Acme", "x\x00": 1}, {"x\\0": REFUSED}),
    ],
)
def test_a_nul_in_a_json_body_names_the_field_and_creates_nothing(client_for, body, fields):
    response = client_for.post(
        "/api/v1/customers/", {"kind": "company", "language": "en", **body}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == fields
    assert not Customer.objects.filter(code="N1").exists()


def test_a_nul_in_a_list_of_objects_names_its_position(client_for, manager):
    customer = CustomerFactory(account_manager=manager)
    body = {
        "customer": customer.pk,
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "lines": [
            {"description": "fine", "quantity": "1", "unit_price": "10.00"},
            {"description": "bad\x00", "quantity": "1", "unit_price": "10.00"},
        ],
    }

    response = client_for.post("/api/v1/contracts/", body, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"lines": {"1": {"description": REFUSED}}}


def test_a_nul_in_the_idempotency_key_is_refused_before_it_is_stored(client_for):
    response = client_for.post(
        "/api/v1/customers/",
        {"code": "N1", "name": "Acme", "kind": "company", "language": "en"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k\x00",
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"Idempotency-Key": REFUSED}
    assert not Customer.objects.filter(code="N1").exists()
