"""A short-lived cache of a staff user's own list pages.

The busiest staff pages are lists an account manager reloads all day (contracts ending
soon, customers). ``cache_staff_page`` keeps the rendered page in the cache for
``RENEWDESK["STAFF_PAGE_CACHE_SECONDS"]`` (default 10; 0 turns it off), so a reload,
a back button or "Previous" costs a cache read instead of the queries and the render.

A page kept this way is served by ``StaffPageCacheMiddleware`` before the session, the
user or the view are loaded: two cache reads instead of session, user, permissions,
queries and the render.

What keeps it correct:

* **One browser's.** The key is made of the session and CSRF cookies the browser sends
  (both unguessable; the page's forms carry a token for that CSRF cookie), the full
  path with its query string, the business date (days to the end change at midnight)
  and whether it is an htmx request. No one without that browser's cookies can reach
  the entry; it is marked ``Cache-Control: private`` and ``Vary: Cookie``.
* **Your own changes show at once.** Every POST, PUT, PATCH or DELETE a logged-in user
  makes (an edit, a language change, logging out) moves that user's generation on after
  the response, so after the commit; entries stored under an older one are never served.
* **Others' changes show within the TTL.** A contract changed by a colleague, the
  nightly end-of-term job or the API, and an account deactivated or a permission removed
  by an admin, take effect at the latest after ``STAFF_PAGE_CACHE_SECONDS`` seconds,
  like a list loaded that long ago.
* Only with a cache all web processes share (Redis); off with the per-process memory
  cache of ``make run`` without ``REDIS_URL``.
* Never kept: anything but a 200 to a GET, a page with a message waiting to be shown,
  a response that sets a cookie, a request without a session or CSRF cookie; never
  served while a message cookie is waiting.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control, patch_vary_headers

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Only staff pages are ever kept: other requests do not even look.
STAFF_PREFIX = "/staff/"
log = logging.getLogger(__name__)


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
        try:
            cache.incr(key)
        except ValueError:
            # Not there (never set, or evicted): a fresh value no entry was stored under.
            cache.set(key, timezone.now().timestamp(), None)
    except Exception:  # the cache is down: its entries cannot be served either
        log.warning("staff page cache: could not move the generation of user %s", user_id)


def _has_pending_messages(request: HttpRequest) -> bool:
    storage = getattr(request, "_messages", None)
    if storage is None:
        return False
    # Looks without marking them as shown (iterating the storage would).
    return bool(storage._loaded_messages or storage._queued_messages)  # noqa: SLF001


def _page_key(request: HttpRequest) -> str | None:
    """From what the browser sends, so that a hit needs neither the session nor the user:
    the session and CSRF cookies (unguessable, one browser's), the URL, the business date
    and whether it is an htmx request. None without both cookies."""
    session_cookie = request.COOKIES.get(settings.SESSION_COOKIE_NAME, "")
    csrf_cookie = request.COOKIES.get(settings.CSRF_COOKIE_NAME, "")
    if not session_cookie or not csrf_cookie:
        return None
    parts = "|".join(
        (
            session_cookie,
            csrf_cookie,
            timezone.localdate().isoformat(),
            request.get_full_path(),
            request.headers.get("HX-Request", ""),
        )
    )
    return "staff-page:" + hashlib.sha256(parts.encode()).hexdigest()


def _private(response: HttpResponse) -> HttpResponse:
    # A page for one person: no shared cache on the way may keep it.
    patch_cache_control(response, private=True)
    patch_vary_headers(response, ("Cookie",))
    return response


def cache_staff_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Keeps what a read-only staff GET view renders; ``StaffPageCacheMiddleware`` serves
    it again. Put it under ``staff_required`` (only pages a logged-in staff user got)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        seconds = _seconds()
        key = _page_key(request) if seconds and request.method == "GET" else None
        if key is None or _has_pending_messages(request):
            return view(request, *args, **kwargs)
        user_id = request.user.pk
        # Read before rendering: a change committed meanwhile moves it on, so this
        # entry (maybe rendered from older data) is never served.
        try:
            generation = cache.get(_generation_key(user_id), 0)
        except Exception:  # the cache is down: the page is simply rendered
            log.warning("staff page cache unavailable", exc_info=True)
            return view(request, *args, **kwargs)
        response = view(request, *args, **kwargs)
        if (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and not _has_pending_messages(request)
        ):
            entry = (
                user_id,
                generation,
                translation.get_language() or "",
                response["Content-Type"],
                response.content,
            )
            try:
                cache.set(key, entry, seconds)
            except Exception:
                log.warning("staff page cache unavailable", exc_info=True)
        return _private(response)

    return wrapper


class StaffPageCacheMiddleware:
    """Serves a kept staff page before the session, the user or the view are loaded;
    after a logged-in user's POST/PUT/PATCH/DELETE moves that user's generation on.

    Sits after every middleware that adds response headers (security, CSP, frame
    options, locale), so a page from the cache gets the same headers as a fresh one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not _seconds():
            return self.get_response(request)
        if (
            request.method == "GET"
            and request.path.startswith(STAFF_PREFIX)
            and "messages" not in request.COOKIES
        ):
            hit = self._cached(request)
            if hit is not None:
                return hit
            return self.get_response(request)
        if request.method not in UNSAFE_METHODS:
            return self.get_response(request)
        user = getattr(request, "user", None)
        user_id = user.pk if user is not None and user.is_authenticated else None
        response = self.get_response(request)
        if user_id is not None:
            user_pages_changed(user_id)
        return response

    @staticmethod
    def _cached(request: HttpRequest) -> HttpResponse | None:
        key = _page_key(request)
        if key is None:
            return None
        try:
            entry = cache.get(key)
            if entry is None:
                return None
            user_id, generation, language, content_type, content = entry
            if cache.get(_generation_key(user_id), 0) != generation:
                return None
        except Exception:  # the cache is down: render the page as without it
            log.warning("staff page cache unavailable", exc_info=True)
            return None
        response = HttpResponse(content, content_type=content_type)
        response["Content-Language"] = language
        response["X-Page-Cache"] = "hit"
        return _private(response)
