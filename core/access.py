"""The one place that decides which customers and contracts a staff user may see.

Account managers see their own book; team leads (permission ``core.view_all_books``)
and superusers see everything. Every staff list, detail page, API view and export
goes through these two functions.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from contracts.models import Contract
from customers.models import Customer


def customers_visible_to(user: Any) -> QuerySet[Customer]:
    qs = Customer.objects.all()
    if not (user and user.is_authenticated and user.is_staff):
        return qs.none()
    if user.is_team_lead:
        return qs
    return qs.filter(account_manager=user)


def contracts_visible_to(user: Any) -> QuerySet[Contract]:
    qs = Contract.objects.all()
    if not (user and user.is_authenticated and user.is_staff):
        return qs.none()
    if user.is_team_lead:
        return qs
    # Contract.customer_manager is the customer's account manager, copied by a database
    # trigger (contracts migration 0005): the same rule as customer__account_manager,
    # read from the contract's own index instead of a join over the manager's customers.
    return qs.filter(customer_manager=user)
