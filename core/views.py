from __future__ import annotations

import logging

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe
from django.views.i18n import LANGUAGE_QUERY_PARAMETER, set_language

from config.celery_app import app as celery_app
from customers.services import language_preference_set

logger = logging.getLogger(__name__)

# A probe must answer quickly even when a dependency hangs: one attempt, a short timeout.
BROKER_TIMEOUT_SECONDS = 2


def _check_database() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return True, "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        logger.warning("healthz: database unreachable: %s", exc)
        return False, exc.__class__.__name__


def _check_broker() -> tuple[bool, str]:
    # The URL is read from settings on every call (not from the Celery app's cached config) so
    # that the probe reports on the broker this process is configured for right now.
    try:
        with celery_app.connection_for_write(settings.CELERY_BROKER_URL) as conn:
            conn.ensure_connection(max_retries=0, timeout=BROKER_TIMEOUT_SECONDS)
        return True, "ok"
    except Exception as exc:  # noqa: BLE001
        logger.warning("healthz: broker unreachable: %s", exc)
        return False, exc.__class__.__name__


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Readiness: 200 when the database and the Celery broker both answer, 503 otherwise.

    The body names only the failing check and the exception class, never a URL or a password.
    """
    db_ok, db_detail = _check_database()
    broker_ok, broker_detail = _check_broker()
    ok = db_ok and broker_ok
    body = {
        "status": "ok" if ok else "error",
        "database": db_detail,
        "broker": broker_detail,
        "broker_url_scheme": settings.CELERY_BROKER_URL.split(":", 1)[0],
    }
    return JsonResponse(body, status=200 if ok else 503)


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers ask for on pages without our icon link (the admin).
    Resolved per request: in production the hashed name comes from the static manifest."""
    return redirect(static("img/favicon.svg"), permanent=True)


@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    """The language switcher (staff header and portal header): Django's ``set_language``
    (cookie, redirect to ``next``), and for a logged-in user the choice is also kept.

    Tasks, notifications and e-mails are written in the profile language (a staff member's
    ``User.language``, a customer's ``Customer.language``), not in the cookie's: without
    this, someone who switched the interface kept receiving texts in the other language.
    A portal user's switch is the customer's preference, as on the portal's preferences
    page (portal.services.customer_preferences_update). A code that is not one of
    ``settings.LANGUAGES`` changes nothing; GET is refused, it must not change state.
    """
    response = set_language(request)
    code = request.POST.get(LANGUAGE_QUERY_PARAMETER, "")
    if code not in dict(settings.LANGUAGES):
        # Django sets the cookie for any language it has a catalogue of ("fr"), which the
        # site then ignores; an offered language or nothing.
        response.cookies.pop(settings.LANGUAGE_COOKIE_NAME, None)
        return response
    if request.user.is_authenticated and request.user.is_active:
        language_preference_set(user=request.user, language=code)
    return response
