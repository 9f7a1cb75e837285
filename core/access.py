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
    return qs.filter(customer__account_manager=user)
