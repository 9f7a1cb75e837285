from __future__ import annotations

import hashlib
from typing import Any, cast

from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property
from rest_framework.exceptions import NotFound
from rest_framework.pagination import Cursor, CursorPagination, PageNumberPagination
from rest_framework.request import Request
from rest_framework.utils.urls import remove_query_param

from core.pagination import bounded_count

# Up to this many rows a list's count is live and exact; above it the exact count is
# kept for COUNT_TTL seconds per query (the same query, so the same user's scope and
# filters): paging through a list of a million contracts counts them once a minute
# instead of once per page (COUNT(*) over 1,000,000 rows is ~90 ms; docs/performance.md).
LIVE_COUNT_LIMIT = 1_000
COUNT_TTL = 60


class CachedCountPaginator(Paginator):
    @cached_property
    def count(self) -> int:
        # The API paginates querysets only (the stubs allow any sliceable sequence).
        qs = cast("QuerySet[Any]", self.object_list)
        counted, exact = bounded_count(qs, LIVE_COUNT_LIMIT)
        if exact:
            return counted
        sql, params = qs.order_by().query.sql_with_params()
        key = "api-count:" + hashlib.sha256(f"{sql}|{params!r}".encode()).hexdigest()
        total = cache.get(key)
        if total is None:
            total = qs.count()
            cache.set(key, total, COUNT_TTL)
        return total


class StandardPagination(PageNumberPagination):
    django_paginator_class = CachedCountPaginator
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class EventCursorPagination(CursorPagination):
    """Incremental sync: follow ``next`` until a page comes back with fewer results than
    asked for, keep that page's ``next`` and resume from it later.

    Unlike plain cursor pagination, ``next`` is never null on the last page: it points
    just past the last event returned (or, on an empty page, to the same place), so a
    sync can always resume without missing or repeating an event. Ordered by id, which
    only grows; the cursor is opaque and stays valid.
    """

    ordering = "id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500

    def decode_cursor(self, request: Request) -> Cursor | None:
        cursor = super().decode_cursor(request)
        # The position is compared with the integer id: refuse a forged non-integer one
        # with a 404 ("invalid cursor") instead of letting the database raise.
        if cursor is not None and cursor.position is not None:
            try:
                int(cursor.position)
            except ValueError:
                raise NotFound(self.invalid_cursor_message) from None
        return cursor

    def get_next_link(self) -> str | None:
        link = super().get_next_link()
        if link is not None or (self.cursor is not None and self.cursor.reverse):
            return link
        if self.page:
            position = self._get_position_from_instance(self.page[-1], self.ordering)
            # drf-stubs type a cursor position as int; DRF's positions are strings.
            cursor = Cursor(offset=0, reverse=False, position=position)  # type: ignore[arg-type]
            return self.encode_cursor(cursor)
        if self.cursor is not None:
            return self.encode_cursor(self.cursor)
        assert self.base_url is not None  # set by paginate_queryset, before the links
        return remove_query_param(self.base_url, self.cursor_query_param)
