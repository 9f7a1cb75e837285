"""Manager selects list the people who can hold a book, not the superuser."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contracts.forms import ContractFilterForm, staff_users
from customers.forms import CustomerFilterForm, CustomerForm
from insights.forms import DashboardFilterForm
from tests.factories import CustomerFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(db):
    return {
        "manager": StaffFactory(username="mgr"),
        "admin": UserFactory(username="admin", is_staff=True, is_superuser=True),
        "gone": StaffFactory(username="gone", is_active=False),
        "customer_user": UserFactory(username="portal-user"),
    }


def test_active_non_superuser_staff_hold_books(people):
    names = set(staff_users().values_list("username", flat=True))

    assert "mgr" in names
    assert "admin" not in names
    assert "gone" not in names
    assert "portal-user" not in names


def test_whoever_manages_a_customer_today_stays_selectable(people):
    CustomerFactory(account_manager=people["admin"])
    CustomerFactory(account_manager=people["admin"])
    CustomerFactory(account_manager=people["gone"])

    names = list(staff_users().values_list("username", flat=True))

    # listed once each, even with two customers
    assert sorted(names) == ["admin", "gone", "mgr"]


def test_the_list_is_one_query(people):
    CustomerFactory(account_manager=people["admin"])
    with CaptureQueriesContext(connection) as queries:
        list(staff_users())
    assert len(queries) == 1


def test_the_filter_and_edit_forms_use_it(people, team_lead):
    forms = [
        ContractFilterForm(data={}, user=team_lead).fields["manager"],
        CustomerFilterForm(data={}, user=team_lead).fields["manager"],
        CustomerForm(user=team_lead, creating=True).fields["account_manager"],
        DashboardFilterForm(data={}, user=team_lead).fields["manager"],
    ]
    for field in forms:
        names = set(field.queryset.values_list("username", flat=True))
        assert "mgr" in names and "lead" in names
        assert "admin" not in names
