from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


def staff_users() -> Any:
    return get_user_model().objects.filter(is_staff=True, is_active=True)


class StaffUsernameField(serializers.SlugRelatedField):
    """A staff user, by username (as in the CSV imports)."""

    default_error_messages = {
        "does_not_exist": _("No active staff user with username “{value}”."),
        "invalid": _("Give a username."),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("slug_field", "username")
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", staff_users())
        super().__init__(**kwargs)

    def get_queryset(self) -> Any:
        return staff_users()
