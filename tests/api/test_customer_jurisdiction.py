"""The customer's country and region in the API (api/serializers/customers.py)."""

from __future__ import annotations

import pytest

from customers.models import Customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers/"


def _create(client, **extra):
    body = {"code": "J1", "name": "J", "kind": "company", "language": "en", **extra}
    return client.post(URL, body, format="json")


def test_a_customer_is_created_in_the_default_country_without_one(client_for):
    response = _create(client_for)
    assert response.status_code == 201, response.json()
    assert (response.json()["country"], response.json()["region"]) == ("CN", "")


def test_a_customer_is_created_with_a_country_and_region(client_for):
    response = _create(client_for, country="US", region="US-CA")
    assert response.status_code == 201, response.json()
    customer = Customer.objects.get(code="J1")
    assert (customer.country, customer.region) == ("US", "US-CA")


def test_a_region_alone_brings_its_country(client_for):
    response = _create(client_for, region="US-CA")
    assert response.status_code == 201, response.json()
    assert response.json()["country"] == "US"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"country": "ZZ"}, "country"),
        ({"country": "US", "region": "US-ZZ"}, "region"),
        ({"country": "DE", "region": "US-CA"}, "region"),
    ],
)
def test_bad_codes_are_a_400_on_their_field(client_for, body, field):
    response = _create(client_for, **body)
    assert response.status_code == 400
    assert field in response.json()["errors"] if "errors" in response.json() else response.json()
    assert not Customer.objects.filter(code="J1").exists()


def test_a_patch_of_the_region_is_checked_against_the_stored_country(client_for, manager):
    customer = CustomerFactory(account_manager=manager, country="FR")
    url = f"{URL}{customer.pk}/"
    assert client_for.patch(url, {"region": "US-CA"}, format="json").status_code == 400
    response = client_for.patch(url, {"country": "US", "region": "US-CA"}, format="json")
    assert response.status_code == 200, response.json()
    assert client_for.patch(url, {"country": "GB"}, format="json").status_code == 400
    customer.refresh_from_db()
    assert (customer.country, customer.region) == ("US", "US-CA")
