"""The rule for which rows of a book a staff user may see.

Account managers see their own book; team leads (permission ``core.view_all_books``)
and superusers see everything. Each app applies it to its own model:
``customers.access.customers_visible_to`` and ``contracts.access.contracts_visible_to``;
every staff list, detail page, API view and export goes through those two.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)


def book_visible_to(qs: QuerySet[M], user: Any, *, manager_field: str) -> QuerySet[M]:
    """``qs`` as ``user`` may see it: nothing for a non-staff user, everything for a team
    lead, otherwise the rows whose ``manager_field`` is the user."""
    if not (user and user.is_authenticated and user.is_staff):
        return qs.none()
    if user.is_team_lead:
        return qs
    return qs.filter(**{manager_field: user})
