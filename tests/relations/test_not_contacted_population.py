""" "Not contacted in N days" counts one population everywhere: customers with a contract in
force (active, scheduled or awaiting payment), the customers the contact plans look after.
The dashboard figure, the list it links to and the customer list's filter agree for the
same N, and each page says which customers it counts. Fixed dates."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from contracts.models import ContractStatus
from insights.models import Interaction, InteractionKind
from relations.selectors import customers_not_contacted
from relations.teams import team_scope
from tests.factories import ContractFactory, CustomerFactory, StaffFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 3, 15, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai
TODAY = dt.date(2027, 3, 15)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def manager():
    return StaffFactory()


@pytest.fixture
def book(manager):
    """Two customers in care not contacted in 90 days, one in care called last week, one
    whose only contract ended last year and one with a draft only: both never contacted."""

    def customer(name, status, end):
        c = CustomerFactory(account_manager=manager, name=name)
        ContractFactory(customer=c, status=status, end_date=end)
        return c

    quiet = customer("Quiet Active", ContractStatus.ACTIVE, dt.date(2027, 12, 31))
    Interaction.objects.create(
        customer=quiet, kind=InteractionKind.CALL, at=NOW - dt.timedelta(days=120), summary="x"
    )
    customer("Never Scheduled", ContractStatus.SCHEDULED, dt.date(2028, 3, 31))
    called = customer("Called Active", ContractStatus.ACTIVE, dt.date(2027, 12, 31))
    Interaction.objects.create(
        customer=called, kind=InteractionKind.CALL, at=NOW - dt.timedelta(days=7), summary="x"
    )
    customer("Ended Last Year", ContractStatus.EXPIRED, dt.date(2026, 6, 30))
    customer("Draft Only", ContractStatus.DRAFT, dt.date(2028, 1, 31))


def staff_client(user, language="en"):
    user.language = language
    user.save(update_fields=["language"])
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def list_names(response) -> list[str]:
    return sorted(c.name for c in response.context["page_obj"].object_list)


def test_the_dashboard_the_list_and_the_customer_filter_count_the_same_customers(manager, book):
    client = staff_client(manager)

    figure = client.get(reverse("staff-home")).context["relations"]["not_contacted"]
    listed = client.get(reverse("relations:not-contacted"), {"days": 90})
    filtered = client.get(reverse("customers:list"), {"not_contacted": 90})

    assert figure == 2
    assert list_names(listed) == ["Never Scheduled", "Quiet Active"]
    assert list_names(filtered) == ["Never Scheduled", "Quiet Active"]


def test_the_customer_filter_leaves_out_customers_whose_contracts_ended(manager, book):
    client = staff_client(manager)

    filtered = client.get(reverse("customers:list"), {"not_contacted": 30})
    everyone = client.get(reverse("customers:list"))

    assert "Ended Last Year" not in list_names(filtered)
    assert "Draft Only" not in list_names(filtered)
    # the list without the filter is still the whole book
    assert len(everyone.context["page_obj"].object_list) == 5


@pytest.mark.parametrize("days", [1, 7, 8, 90, 3650])
def test_the_selector_and_the_customer_filter_agree_for_any_n(manager, book, days):
    client = staff_client(manager)

    selected = customers_not_contacted(scope=team_scope(manager), as_of=TODAY, days=days)
    filtered = client.get(reverse("customers:list"), {"not_contacted": days})

    assert sorted(c.name for c in selected) == list_names(filtered)


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "customers with a contract in force"),
        ("zh-hans", "合同生效中的客户"),
    ],
)
def test_each_page_says_which_customers_it_counts(manager, book, language, words):
    client = staff_client(manager, language)

    dashboard = client.get(reverse("staff-home")).content.decode()
    listed = client.get(reverse("relations:not-contacted"), {"days": 90}).content.decode()
    customers = client.get(reverse("customers:list"), {"not_contacted": 90}).content.decode()

    assert words in dashboard.lower()
    assert words in listed.lower()
    assert words in customers.lower()
