from __future__ import annotations

from rest_framework.pagination import CursorPagination, PageNumberPagination


class StandardPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class EventCursorPagination(CursorPagination):
    """Incremental sync: follow ``next`` until it is null, keep the last cursor, resume later.

    Ordered by id, which only grows; the cursor is opaque and stays valid forever.
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
                from rest_framework.exceptions import NotFound

                raise NotFound(self.invalid_cursor_message) from None
        return cursor
