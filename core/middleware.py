from __future__ import annotations

import logging
from typing import Any

from django.db import DataError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation

logger = logging.getLogger(__name__)

NUL = "\x00"


class UserLanguageMiddleware:
    """Once someone is logged in, the interface follows their preferred language,
    unless they picked one explicitly with the language switcher (cookie)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings

        user = getattr(request, "user", None)
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if user is not None and user.is_authenticated and not chosen:
            lang = getattr(user, "language", None)
            if lang:
                translation.activate(lang)
                request.LANGUAGE_CODE = lang
        return self.get_response(request)


def nul_fields(data: Any) -> list[str]:
    """The names of the fields of a QueryDict (GET, POST, FILES) whose name or any value
    holds a NUL character, in order, each once; a NUL in a name is shown as \\0."""
    found: list[str] = []
    for key, values in data.lists():
        texts = [getattr(v, "name", v) for v in values]
        if NUL in key or any(isinstance(t, str) and NUL in t for t in texts):
            name = key.replace(NUL, "\\0")
            if name not in found:
                found.append(name)
    return found


def _is_nul_refusal(exc: Exception) -> bool:
    # psycopg2 refuses a text parameter holding NUL before sending it ("A string literal
    # cannot contain NUL (0x00) characters."); PostgreSQL refuses \u0000 inside jsonb.
    if isinstance(exc, ValueError):
        return "NUL" in str(exc)
    return isinstance(exc, DataError) and "\\u0000" in str(exc)


class NulInputMiddleware:
    """PostgreSQL can neither store nor compare text holding a NUL character (\\0), and
    psycopg answers such a parameter with a ValueError: a 500 for a filter like ?q=%00.

    * A query string with a NUL (any method) is answered at once with a 400 page that
      names the parameter, in the user's language: no list, filter or search sees it.
    * A form body is left to the view, so that a form that validates (Django's CharField
      refuses NUL) shows its error beside the field. Should a NUL still reach the
      database, the request gets the same 400 page instead of a 500.

    The API (namespace "api") answers in its own error format (api.views.base).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        if _is_api(request):
            return None
        fields = nul_fields(request.GET)
        if fields:
            return nul_input_response(request, fields)
        return None

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if _is_api(request) or not _is_nul_refusal(exception):
            return None
        fields = nul_fields(request.GET)
        if request.method == "POST":
            # request.POST is already parsed when the view read it; reading it here is safe.
            fields += [f for f in nul_fields(request.POST) if f not in fields]
            fields += [f for f in nul_fields(request.FILES) if f not in fields]
        if not fields:
            return None  # not the user's input: a real bug, let it be a 500
        logger.warning(
            "NUL in %s reached the database in %s: validate it in the form",
            ", ".join(fields),
            request.path,
        )
        return nul_input_response(request, fields)


def _is_api(request: HttpRequest) -> bool:
    match = getattr(request, "resolver_match", None)
    return match is not None and "api" in match.app_names


def nul_input_response(request: HttpRequest, fields: list[str]) -> HttpResponse:
    return render(request, "core/nul_input.html", {"fields": fields}, status=400)
