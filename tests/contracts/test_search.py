"""Search on the staff contract and customer lists: the same matches whether the
customers' ids go into the query (narrow search) or a join does (broad search)."""

from __future__ import annotations

import re

import pytest
from django.db import connection

import contracts.selectors as contract_selectors
import customers.selectors as customer_selectors
from tests.factories import ContactFactory, ContractFactory, CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(manager):
    acme = CustomerFactory(account_manager=manager, name="Acme Robotics", code="ACM01")
    acme2 = CustomerFactory(account_manager=manager, name="Acme Foods", code="ACM02")
    other = CustomerFactory(account_manager=manager, name="Zeta Ltd", code="ZET01")
    ContactFactory(customer=other, name="Jo Acmeson", email="jo@zeta.example")
    ContractFactory(customer=acme, number="HT-S-0001")
    ContractFactory(customer=acme2, number="HT-S-0002")
    ContractFactory(customer=other, number="HT-S-ACME-3")
    ContractFactory(customer=other, number="HT-S-0004")
    return manager


def _contracts(client, q):
    body = client.get("/staff/contracts/", {"q": q}).content.decode()
    return sorted(set(re.findall(r'class="fw-semibold">(HT-S-[^<]+)</a>', body)))


def _customers(client, q):
    body = client.get("/staff/customers/", {"q": q}).content.decode()
    return sorted(set(re.findall(r">(ACM0\d|ZET01)<", body)))


@pytest.mark.parametrize("limit", [500, 1])
def test_contract_search_narrow_and_broad_agree(client, book, monkeypatch, limit):
    monkeypatch.setattr(contract_selectors, "SEARCH_CUSTOMER_IDS", limit)
    client.force_login(book)
    assert _contracts(client, "acme") == ["HT-S-0001", "HT-S-0002", "HT-S-ACME-3"]
    assert _contracts(client, "zet01") == ["HT-S-0004", "HT-S-ACME-3"]  # code: exact
    assert _contracts(client, "zeta") == ["HT-S-0004", "HT-S-ACME-3"]  # name: contains
    assert _contracts(client, "0004") == ["HT-S-0004"]
    assert _contracts(client, "nothing-like-it") == []


@pytest.mark.parametrize("limit", [500, 0])
def test_customer_search_narrow_and_broad_agree(client, book, monkeypatch, limit):
    monkeypatch.setattr(customer_selectors, "SEARCH_CONTACT_IDS", limit)
    client.force_login(book)
    assert _customers(client, "acme") == ["ACM01", "ACM02", "ZET01"]  # ZET01 by contact
    assert _customers(client, "zeta.example") == ["ZET01"]
    assert _customers(client, "acm0") == ["ACM01", "ACM02"]


def test_trigram_indexes_exist():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE '%%_trgm'")
        names = {row[0] for row in cursor.fetchall()}
    assert {
        "contract_number_trgm",
        "customer_name_trgm",
        "customer_code_trgm",
        "contact_email_trgm",
    } <= names
