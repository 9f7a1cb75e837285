"""``Idempotency-Key`` on POST: a retried request returns the first response, once.

The key row is inserted *before* the work and in the same transaction. A concurrent
request with the same key blocks on the unique index until the first transaction
ends: if it committed, the second request gets IntegrityError and replays the stored
response; if it rolled back (a 5xx), the second request does the work itself. So the
same POST sent ten times at once creates one object.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.response import Response

from .exceptions import Unprocessable
from .models import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def _fingerprint(request: Any) -> str:
    try:
        data = request.data
        canonical = json.dumps(data, cls=DjangoJSONEncoder, sort_keys=True, default=str)
    except exceptions.ParseError:
        canonical = request.body.decode("utf-8", "replace")
    raw = f"{request.method} {request.path}\n{canonical}"
    return hashlib.sha256(raw.encode()).hexdigest()


def _replay(record: IdempotencyKey) -> Response:
    response = Response(record.response_body, status=record.response_status)
    response["Idempotent-Replayed"] = "true"
    return response


class IdempotentPostMixin:
    """Wraps the POST handler of an APIView / ViewSet (after authentication and throttling)."""

    def initial(self, request: Any, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        key = request.headers.get(HEADER)
        if request.method == "POST" and key is not None:
            key = key.strip()
            if not key or len(key) > MAX_KEY_LENGTH:
                raise exceptions.ValidationError(
                    {HEADER: [_("The Idempotency-Key must be 1 to 255 characters.")]}
                )
            handler = getattr(self, "post", None)
            if handler is None:
                return  # no POST here: DRF answers 405
            # DRF looks the handler up after initial(): wrap it for this request only.
            self.post = self._idempotent(handler, key)

    def _idempotent(self, handler: Callable[..., Response], key: str) -> Callable[..., Response]:
        def wrapped(request: Any, *args: Any, **kwargs: Any) -> Response:
            fingerprint = _fingerprint(request)
            with transaction.atomic():
                try:
                    with transaction.atomic():
                        record = IdempotencyKey.objects.create(
                            user=request.user,
                            key=key,
                            method=request.method,
                            path=request.path[:500],
                            fingerprint=fingerprint,
                        )
                except IntegrityError:
                    record = None
                if record is not None:
                    try:
                        with transaction.atomic():
                            response = handler(request, *args, **kwargs)
                    except Exception as exc:  # noqa: BLE001 - turned into the API error body
                        response = self.handle_exception(exc)  # type: ignore[attr-defined]
                    if response.status_code >= 500:
                        # Forget the key: the client may retry a server failure.
                        transaction.set_rollback(True)
                        return response
                    record.response_status = response.status_code
                    record.response_body = response.data
                    record.save(update_fields=["response_status", "response_body"])
                    return response
            # Someone else holds (held) this key and has committed.
            existing = IdempotencyKey.objects.get(user=request.user, key=key)
            if existing.fingerprint != fingerprint:
                raise Unprocessable(
                    detail=_(
                        "This Idempotency-Key was already used with a different request. "
                        "Use a new key for a new request."
                    ),
                    code="idempotency_key_reused",
                )
            return _replay(existing)

        return wrapped
