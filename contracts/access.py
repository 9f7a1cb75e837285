"""Which contracts a staff user may see (the book rule of core.access)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from core.access import book_visible_to

from .models import Contract


def contracts_visible_to(user: Any) -> QuerySet[Contract]:
    # Contract.customer_manager is the customer's account manager, copied by a database
    # trigger (contracts migration 0005): the same rule as customer__account_manager,
    # read from the contract's own index instead of a join over the manager's customers.
    return book_visible_to(Contract.objects.all(), user, manager_field="customer_manager")
