"""The cancellation confirmation email carries its PDF (the durable-medium copy).

Named in ``settings.RENEWDESK_EMAIL_ATTACHMENTS``: the email channel calls it for every
email it sends, at delivery time, so a retry attaches the same stored document.
"""

from __future__ import annotations

from typing import Any

from .models import CancellationRequest


def confirmation_attachments(message: Any) -> list[tuple[str, bytes, str]]:
    """The confirmation email carries its PDF (the durable-medium copy)."""
    if message.kind != "cancellation_confirmed" or message.channel != "email":
        return []
    # dedupe key "cancellation-confirmed-<request id>:email" (retention.messaging).
    head = message.dedupe_key.split(":", 1)[0]
    request_id = head.rsplit("-", 1)[-1]
    if not request_id.isdigit():
        return []
    req = (
        CancellationRequest.objects.select_related("confirmation_document")
        .filter(pk=int(request_id), confirmation_document__isnull=False)
        .first()
    )
    if req is None or req.confirmation_document is None:
        return []
    document = req.confirmation_document
    with document.file.open("rb") as fh:
        data = fh.read()
    filename = document.file.name.rsplit("/", 1)[-1]
    return [(filename, data, "application/pdf")]
