from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _check_database() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return True, "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return False, exc.__class__.__name__


def _check_broker() -> tuple[bool, str]:
    from config.celery_app import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True, "ok"
    except Exception as exc:  # noqa: BLE001
        return False, exc.__class__.__name__


@never_cache
@require_GET
def healthz(request):
    """Liveness and readiness: the database and the Celery broker must answer."""
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
