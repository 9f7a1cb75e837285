"""One error shape for every API failure:

    {"error": {"code": "validation_error", "message": "…", "fields": {"end_date": ["…"]}}}

``code`` is machine-readable and stable; ``message`` is human and translated.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DomainError, InvalidTransition
from core.errors import PermissionDenied as DomainPermissionDenied

logger = logging.getLogger(__name__)


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class Unprocessable(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "unprocessable"


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": str(message), "fields": fields or {}}}


def _flatten(detail: Any) -> Any:
    """ErrorDetail trees → plain strings, keeping the structure (nested lines stay nested)."""
    if isinstance(detail, dict):
        return {str(k): _flatten(v) for k, v in detail.items()}
    if isinstance(detail, list):
        return [_flatten(v) for v in detail]
    return str(detail)


def _first_message(fields: Any) -> str | None:
    if isinstance(fields, dict):
        for value in fields.values():
            found = _first_message(value)
            if found:
                return found
    elif isinstance(fields, list):
        for value in fields:
            found = _first_message(value)
            if found:
                return found
    elif fields:
        return str(fields)
    return None


def _code_for(exc: exceptions.APIException) -> str:
    code = exc.get_codes()
    if isinstance(code, str):
        return code
    return exc.default_code


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, InvalidTransition):
        exc = Conflict(detail=exc.message, code=exc.code)
    elif isinstance(exc, DomainPermissionDenied):
        exc = exceptions.PermissionDenied(detail=exc.message, code=exc.code)
    elif isinstance(exc, DomainError):
        # A business rule refused the request: same shape as a field error, no field.
        return Response(error_body(exc.code, exc.message), status=status.HTTP_400_BAD_REQUEST)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            detail=exc.message_dict
            if hasattr(exc, "error_dict")
            else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, IntegrityError):
        # A uniqueness rule caught a race the service's own check did not (two clients
        # creating the same customer code at once): the request changed nothing.
        logger.warning("integrity error answered as 409: %s", exc)
        exc = Conflict(
            detail=_("This conflicts with data saved meanwhile; nothing was changed."),
            code="conflict",
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: a 500, logged by Django

    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        fields = _flatten(detail if isinstance(detail, dict) else {"non_field_errors": detail})
        if set(fields) == {"non_field_errors"}:
            message = _first_message(fields) or _("Invalid input.")
        else:
            message = _("Invalid input: see the fields for details.")
        response.data = error_body("validation_error", message, fields)
    elif isinstance(exc, exceptions.APIException):
        message = _first_message(_flatten(exc.detail)) or str(exc.default_detail)
        code = _code_for(exc)
        if isinstance(exc, exceptions.Throttled):
            code = "throttled"
        response.data = error_body(code, message)
    return response
