"""Access to the staff interface: logged in, and a staff member; and the throttling of
the staff and admin login.

Portal customers are users too, but never ``is_staff``; they get a 403 here rather
than a login form they cannot pass.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

if TYPE_CHECKING:
    from core.models import User


class AuthenticatedRequest(HttpRequest):
    """For type checking only: the request a view gets behind ``staff_required`` or the
    portal's login decorator, whose user is logged in (never AnonymousUser)."""

    user: User


def _check(request: HttpRequest) -> HttpResponse | None:
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not user.is_staff:
        raise PermissionDenied
    return None


def staff_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Decorator for function views."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        denied = _check(request)
        if denied is not None:
            return denied
        return view(request, *args, **kwargs)

    return wrapper


class StaffRequiredMixin:
    """Mixin for class-based views; put it first in the bases."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        denied = _check(request)
        if denied is not None:
            return denied
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


# --- login throttling (django-axes) ------------------------------------------------------
#
# AUTHENTICATION_BACKENDS puts LoginThrottleBackend before ModelBackend: once an account or
# an address has AXES_FAILURE_LIMIT recent failures, every login for it is refused, the
# right password included. The staff and the admin login share the count (both go through
# authenticate()). docs/security.md, section "Staff and admin login".


class LoginThrottleBackend(AxesStandaloneBackend):
    """django-axes' lockout check; it logs no one in by itself.

    ``authenticate()`` without a request comes from no client (the test client's
    ``login()``, a shell): there is nothing to count, so it goes on to ModelBackend
    instead of failing. Every login page passes its request.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def login_lockout_message() -> str:
    cool_off = settings.AXES_COOLOFF_TIME
    if not cool_off:
        return _(
            "Too many failed login attempts for this account or from this network. "
            "Logging in is blocked until an administrator unlocks it."
        )
    minutes = max(1, int(cool_off.total_seconds() // 60))
    return ngettext(
        "Too many failed login attempts for this account or from this network. "
        "Logging in is blocked for %(minutes)d minute; an administrator can unlock it sooner.",
        "Too many failed login attempts for this account or from this network. "
        "Logging in is blocked for %(minutes)d minutes; an administrator can unlock it sooner.",
        minutes,
    ) % {"minutes": minutes}


class LockoutMessageMixin:
    """For AuthenticationForm subclasses: say "locked out" instead of "wrong password"
    when django-axes refused the attempt (``request.axes_locked_out``)."""

    request: HttpRequest | None

    def clean(self) -> dict[str, Any]:
        try:
            return super().clean()  # type: ignore[misc]
        except ValidationError:
            if self.request is not None and getattr(self.request, "axes_locked_out", False):
                # login_lockout_response answers with this page (as 429).
                self.request.axes_lockout_shown = True  # type: ignore[attr-defined]
                raise ValidationError(login_lockout_message(), code="locked_out") from None
            raise


class AdminLoginForm(LockoutMessageMixin, AdminAuthenticationForm):
    """admin.site.login_form (config/urls.py)."""


def login_lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, *args: Any
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE, called by axes' middleware for a refused or locking attempt.

    The login page the view rendered already says why (LockoutMessageMixin): keep it and
    answer 429. Any other page that authenticates gets a page of its own.
    """
    if getattr(request, "axes_lockout_shown", False) and isinstance(
        original_response, HttpResponse
    ):
        original_response.status_code = 429
        return original_response
    return render(
        request,
        "registration/locked_out.html",
        {"message": login_lockout_message()},
        status=429,
    )
