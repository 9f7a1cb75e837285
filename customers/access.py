"""Which customers a staff user may see (the book rule of core.access)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from core.access import book_visible_to

from .models import Customer


def customers_visible_to(user: Any) -> QuerySet[Customer]:
    return book_visible_to(Customer.objects.all(), user, manager_field="account_manager")
