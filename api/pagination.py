from __future__ import annotations

from rest_framework.exceptions import NotFound
from rest_framework.pagination import Cursor, CursorPagination, PageNumberPagination
from rest_framework.utils.urls import remove_query_param


class StandardPagination(PageNumberPagination):
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

    def decode_cursor(self, request):  # type: ignore[no-untyped-def]
        cursor = super().decode_cursor(request)
        # The position is compared with the integer id: refuse a forged non-integer one
        # with a 404 ("invalid cursor") instead of letting the database raise.
        if cursor is not None and cursor.position is not None:
            try:
                int(cursor.position)
            except ValueError:
                raise NotFound(self.invalid_cursor_message) from None
        return cursor

    def get_next_link(self):  # type: ignore[no-untyped-def]
        link = super().get_next_link()
        if link is not None or (self.cursor is not None and self.cursor.reverse):
            return link
        if self.page:
            position = self._get_position_from_instance(self.page[-1], self.ordering)
            return self.encode_cursor(Cursor(offset=0, reverse=False, position=position))
        if self.cursor is not None:
            return self.encode_cursor(self.cursor)
        return remove_query_param(self.base_url, self.cursor_query_param)
