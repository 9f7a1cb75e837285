from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import viewsets
from rest_framework.filters import OrderingFilter, SearchFilter

from ..exceptions import error_body
from ..idempotency import IdempotentPostMixin


class ApiViewSet(IdempotentPostMixin, viewsets.GenericViewSet):
    """Base of every API viewset: staff only, token scopes, Idempotency-Key on POST.

    Querysets must come from core.access (or be scoped through it) so that a token
    sees exactly what its user sees in the staff UI.
    """

    # Any path segment reaches the view (which answers a JSON 404 for a malformed id)
    # instead of falling through to the HTML 404 page.
    lookup_value_regex = "[^/]+"


FILTERS_WITH_SEARCH = [DjangoFilterBackend, SearchFilter, OrderingFilter]


def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any unknown URL under /api/ answers in the API's error shape, not an HTML page."""
    return JsonResponse(
        error_body("not_found", _("There is no API endpoint at this address.")), status=404
    )
