from __future__ import annotations

from typing import Any

from django.core.validators import ProhibitNullCharactersValidator
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, viewsets
from rest_framework.filters import OrderingFilter, SearchFilter

from ..exceptions import error_body
from ..idempotency import HEADER as IDEMPOTENCY_HEADER
from ..idempotency import IdempotentPostMixin

NUL = "\x00"


def _refused() -> list[str]:
    return [str(ProhibitNullCharactersValidator.message)]


def _nul_errors(value: Any) -> Any:
    """The errors for the NUL characters in a parsed JSON body, shaped like DRF's field
    errors (objects by key, lists of objects by position); None when there are none."""
    if isinstance(value, str):
        return _refused() if NUL in value else None
    if isinstance(value, dict):
        found = {}
        for key, item in value.items():
            errors = _refused() if NUL in str(key) else _nul_errors(item)
            if errors:
                found[str(key).replace(NUL, "\\0")] = errors
        return found or None
    if isinstance(value, list):
        items = [_nul_errors(item) for item in value]
        if not any(items):
            return None
        if all(isinstance(item, str) for item in value):
            return _refused()  # a list of strings (tags): one message for the field
        return {str(i): errors for i, errors in enumerate(items) if errors}
    return None


def nul_input_errors(request: Any) -> dict[str, Any]:
    """Every query parameter, body field and the Idempotency-Key that holds a NUL
    character. PostgreSQL can neither store nor compare such text and psycopg answers it
    with a ValueError (a 500) wherever a serializer or filter does not refuse it first;
    the ones that do name no field (``search``) or say something else ("Give a
    username.")."""
    errors: dict[str, Any] = {}
    for key, values in request.query_params.lists():
        if NUL in key or any(NUL in v for v in values):
            errors[key.replace(NUL, "\\0")] = _refused()
    if NUL in request.headers.get(IDEMPOTENCY_HEADER, ""):
        errors[IDEMPOTENCY_HEADER] = _refused()
    if request.method in ("POST", "PUT", "PATCH"):
        # A body that cannot be parsed raises here as it would in the view (DRF keeps an
        # empty body after a parse error, so catching it would hide the error).
        body = _nul_errors(request.data)
        if isinstance(body, dict):
            errors.update(body)
        elif body:
            errors["non_field_errors"] = body
    return errors


class ApiViewSet(IdempotentPostMixin, viewsets.GenericViewSet):
    """Base of every API viewset: staff only, token scopes, Idempotency-Key on POST.

    Querysets must come from core.access (or be scoped through it) so that a token
    sees exactly what its user sees in the staff UI.
    """

    # Any path segment reaches the view (which answers a JSON 404 for a malformed id)
    # instead of falling through to the HTML 404 page.
    lookup_value_regex = "[^/]+"

    def initial(self, request: Any, *args: Any, **kwargs: Any) -> None:
        # After authentication, permissions and throttling, before any filter, lookup or
        # serializer: each refuses a NUL in its own words, or not at all (a 500).
        super().initial(request, *args, **kwargs)
        errors = nul_input_errors(request)
        if errors:
            raise exceptions.ValidationError(errors)


FILTERS_WITH_SEARCH = [DjangoFilterBackend, SearchFilter, OrderingFilter]


def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any unknown URL under /api/ answers in the API's error shape, not an HTML page."""
    return JsonResponse(
        error_body("not_found", _("There is no API endpoint at this address.")), status=404
    )
