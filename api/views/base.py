from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import viewsets
from rest_framework.filters import OrderingFilter, SearchFilter

from ..idempotency import IdempotentPostMixin


class ApiViewSet(IdempotentPostMixin, viewsets.GenericViewSet):
    """Base of every API viewset: staff only, token scopes, Idempotency-Key on POST.

    Querysets must come from core.access (or be scoped through it) so that a token
    sees exactly what its user sees in the staff UI.
    """


FILTERS_WITH_SEARCH = [DjangoFilterBackend, SearchFilter, OrderingFilter]
