"""Writes for API tokens and idempotency records."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError

from .models import ApiToken, IdempotencyKey, TokenScope

TOKEN_PREFIX = "rd_"  # noqa: S105 - a public marker, not a secret
# last_used_at is bookkeeping: write it at most once a minute per token, not per request.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)
IDEMPOTENCY_RETENTION = dt.timedelta(hours=24)


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def api_token_create(*, user: Any, name: str, scope: str, by: Any = None) -> tuple[ApiToken, str]:
    """Create a token and return it with its secret. The secret is never stored nor shown again."""
    if scope not in TokenScope.values:
        raise DomainError(_("Unknown token scope."))
    if not (user.is_active and user.is_staff):
        raise DomainError(_("An API token must belong to an active staff user."))
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip()[:100],
        scope=scope,
        prefix=raw[:10],
        digest=token_digest(raw),
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    return token, raw


def api_token_revoke(*, token: ApiToken, by: Any) -> ApiToken:
    """Revoke for good; revoking twice keeps the first time and person."""
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(),
        revoked_by=by if getattr(by, "is_authenticated", False) else None,
    )
    token.refresh_from_db()
    return token


def api_token_authenticate(*, raw: str) -> ApiToken | None:
    """The active token for a secret, or None. The lookup is by digest (unique index)."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=token_digest(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or token.last_used_at < now - LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def idempotency_keys_purge(*, now: dt.datetime | None = None) -> int:
    """Forget keys older than the retention window (a day, as integrators expect)."""
    now = now or timezone.now()
    deleted, _details = IdempotencyKey.objects.filter(
        created_at__lt=now - IDEMPOTENCY_RETENTION
    ).delete()
    return deleted
