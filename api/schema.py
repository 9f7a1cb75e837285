"""OpenAPI generation: every operation documents its error bodies and the
``Idempotency-Key`` header, so the schema is the whole truth about the API's shape."""

from __future__ import annotations

from typing import Any, Literal

from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text=_(
            "Machine-readable: validation_error, parse_error, not_authenticated, "
            "authentication_failed, permission_denied, insufficient_scope, not_found, "
            "method_not_allowed, not_acceptable, unsupported_media_type, throttled, "
            "invalid_transition, idempotency_key_reused, or a business rule's code."
        )
    )
    message = serializers.CharField(help_text=_("Human-readable, in the request's language."))
    # The serializer's metaclass takes declared fields out of the class, so this one does
    # not hide Serializer.fields; the stubs cannot see that.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.JSONField(),
        help_text=_("Per-field messages for validation errors (empty otherwise)."),
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


ERROR_DESCRIPTIONS = {
    "400": _("Invalid input, or a business rule refused the request."),
    "401": _("Missing, invalid or revoked credentials."),
    "403": _("Not allowed: not staff, or a read-only token on a write request."),
    "404": _("No such object among those you can see (or an invalid page or cursor)."),
    "405": _("Method not allowed."),
    "406": _("The Accept header asks for a format the API does not produce."),
    "409": _("The object's state does not allow this change (e.g. not a draft)."),
    "415": _("Unsupported request body format; send JSON."),
    "422": _("The Idempotency-Key was already used with a different request."),
    "429": _("Rate limit exceeded; retry after the Retry-After header's seconds."),
}

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    name="Idempotency-Key",
    type={"type": "string", "minLength": 1, "maxLength": 255},
    location=OpenApiParameter.HEADER,
    required=False,
    description=str(
        _(
            "Any unique string (a UUID is a good choice), at most 255 characters. Sending the "
            "same request again with the same key returns the first response instead of "
            "doing the work twice; the same key with a different body is refused with 422. "
            "Keys are kept for 24 hours."
        )
    ),
)


class RenewDeskAutoSchema(AutoSchema):
    def get_override_parameters(self) -> list[Any]:
        params = list(super().get_override_parameters())
        if self.method == "POST":
            params.append(IDEMPOTENCY_PARAMETER)
        return params

    def _error_codes(self) -> list[str]:
        codes = ["400", "401", "403", "405", "406", "429"]
        has_path_param = "{" in self.path
        if has_path_param or self._is_list_view():
            codes.append("404")  # detail: not visible; list: invalid page or cursor
        if self.method in ("POST", "PUT", "PATCH"):
            codes += ["409", "415"]
        if self.method == "POST":
            codes.append("422")
        return sorted(set(codes))

    def _get_response_bodies(
        self, direction: Literal["request", "response"] = "response"
    ) -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in self._error_codes():
            if code not in responses:
                body = self._get_response_for_code(ErrorSerializer, code, direction=direction)
                body["description"] = str(ERROR_DESCRIPTIONS[code])
                responses[code] = body
        return responses
