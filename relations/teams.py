"""Whose work a staff user sees in the relations pages.

- An account manager: their own customers and tasks.
- A team lead (anyone with members: users whose ``team_lead`` is them): their own and their
  members'.
- A user who may see every book (``core.view_all_books``, superusers): everyone's.
- Anyone else (portal users, anonymous): nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from django.db.models import Model, QuerySet

from core.models import User

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class TeamScope:
    everyone: bool = False
    member_ids: frozenset[int] = frozenset()

    @property
    def is_lead(self) -> bool:
        """Sees more than their own work."""
        return self.everyone or len(self.member_ids) > 1

    def includes(self, user_id: int | None) -> bool:
        return user_id is not None and (self.everyone or user_id in self.member_ids)

    def apply(self, qs: QuerySet[M], *, field: str) -> QuerySet[M]:
        """``qs`` limited to rows whose ``field`` (a user) is in the scope."""
        if self.everyone:
            return qs
        if not self.member_ids:
            return qs.none()
        return qs.filter(**{f"{field}__in": sorted(self.member_ids)})

    def staff(self) -> QuerySet[User]:
        """The active staff users in the scope (who a task may be given to)."""
        users = User.objects.filter(is_active=True, is_staff=True)
        return self.apply(users, field="pk").order_by("first_name", "last_name", "username")


def team_scope(user: Any) -> TeamScope:
    if not (user and user.is_authenticated and user.is_staff):
        return TeamScope()
    if user.is_team_lead:
        return TeamScope(everyone=True)
    members = User.objects.filter(team_lead=user, is_active=True, is_staff=True)
    return TeamScope(member_ids=frozenset([user.pk, *members.values_list("pk", flat=True)]))
