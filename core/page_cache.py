"""A short-lived cache of a staff user's own list pages.

The busiest staff pages are lists an account manager reloads all day (contracts ending
soon, customers). ``cache_staff_page`` keeps the rendered page in the cache for
``RENEWDESK["STAFF_PAGE_CACHE_SECONDS"]`` (default 10; 0 turns it off), so a reload,
a back button or "Previous" costs a cache read instead of the queries and the render.

What keeps it correct:

* **Per person and per browser.** The key holds the user, the session, the CSRF cookie
  (the page's forms carry a token for it), the language, the business date (days
  left to the end change at midnight) and the full path with its query string.
* **Your own changes show at once.** Every POST, PUT, PATCH or DELETE a logged-in user
  makes moves that user's generation on, after the response (so after the commit);
  pages cached before it are never served again.
* **Others' changes show within the TTL.** A contract changed by a colleague, the
  nightly end-of-term job or the API appears at the latest after
  ``STAFF_PAGE_CACHE_SECONDS`` seconds, like a list refreshed that long ago.
* Only with a cache all web processes share (Redis); off with the per-process memory
  cache of ``make run`` without ``REDIS_URL``.
* Never cached: anything but a 200 to a GET, a page with a message waiting to be shown,
  a response that sets a cookie, a request without a session or CSRF cookie.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


# Only a cache every web process shares (Redis) can carry the per-user generation: with a
# per-process memory cache one process would not see another's bump.
SHARED_CACHES = ("RedisCache", "PyMemcacheCache", "PyLibMCCache", "DatabaseCache")


def _seconds() -> int:
    backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    if backend not in SHARED_CACHES:
        return 0
    return int(settings.RENEWDESK.get("STAFF_PAGE_CACHE_SECONDS", 0) or 0)


def _generation_key(user_id: Any) -> str:
    return f"staff-page-gen:{user_id}"


def user_pages_changed(user_id: Any) -> None:
    """Nothing cached for this user before now is served again."""
    key = _generation_key(user_id)
    try:
        cache.incr(key)
    except ValueError:
        # Not there (never set, or evicted): a fresh value no entry was stored under.
        cache.set(key, timezone.now().timestamp(), None)


def _has_pending_messages(request: HttpRequest) -> bool:
    storage = getattr(request, "_messages", None)
    if storage is None:
        return False
    # Looks without marking them as shown (iterating the storage would).
    return bool(storage._loaded_messages or storage._queued_messages)  # noqa: SLF001


def _page_key(request: HttpRequest) -> str | None:
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    csrf_cookie = request.COOKIES.get(settings.CSRF_COOKIE_NAME, "")
    if not session_key or not csrf_cookie:
        return None
    parts = "|".join(
        (
            session_key,
            csrf_cookie,
            translation.get_language() or "",
            timezone.localdate().isoformat(),
            request.get_full_path(),
        )
    )
    return f"staff-page:{request.user.pk}:{hashlib.sha256(parts.encode()).hexdigest()}"


def cache_staff_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """For GET views of staff pages that only read. Put it under ``staff_required``."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        seconds = _seconds()
        if not seconds or request.method != "GET" or _has_pending_messages(request):
            return view(request, *args, **kwargs)
        key = _page_key(request)
        if key is None:
            return view(request, *args, **kwargs)
        gen_key = _generation_key(request.user.pk)
        found = cache.get_many([gen_key, key])
        generation = found.get(gen_key, 0)
        entry = found.get(key)
        if entry is not None and entry[0] == generation:
            _generation, content, content_type = entry
            response = HttpResponse(content, content_type=content_type)
            response["X-Page-Cache"] = "hit"
            return response
        response = view(request, *args, **kwargs)
        if (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and not _has_pending_messages(request)
        ):
            cache.set(key, (generation, response.content, response["Content-Type"]), seconds)
        return response

    return wrapper


class StaffPageGenerationMiddleware:
    """After a logged-in user's POST/PUT/PATCH/DELETE: their cached pages are stale."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.method in UNSAFE_METHODS and _seconds():
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                user_pages_changed(user.pk)
        return response
