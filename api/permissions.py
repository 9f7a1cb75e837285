"""Who may call the API: staff users, through a token or their browser session.

Object visibility is not decided here but by the querysets, which all come from
core.access (the same rule as the staff UI).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, permissions

from .models import ApiToken


class InsufficientScope(exceptions.PermissionDenied):
    default_detail = _("This token is read-only; a write token is needed for this request.")
    default_code = "insufficient_scope"


class IsStaffWithScope(permissions.BasePermission):
    message = _("Only staff users can use the API.")

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active and user.is_staff):
            return False
        token = request.auth
        if isinstance(token, ApiToken) and request.method not in permissions.SAFE_METHODS:
            if not token.can_write:
                raise InsufficientScope()
        return True
