"""Serving a stored document whose file may be gone from media storage.

A ``Document`` row outlives its file: media storage can be wiped, a host moved without its
``media/`` folder, a file deleted by hand. The row keeps the SHA-256 of the exact bytes, so
a copy made again from the records can be *proved* to be the same document: it is served
only when its hash equals the stored one. Invoices, receipts, quotes and contracts are
issued or signed documents; "nearly the same" PDF (an invoice re-rendered after it was
paid now says "Paid", a quote re-rendered after a price change shows other figures) would
be a different document under the old number, so it is never served in its place.

When no exact copy can be had, the person asking gets a page in their language saying so,
and an error goes to the log. The page has a button that tells staff: a POST (a GET never
writes) that gives the account manager a task (one per document, whatever the number of
tries: the dedupe key).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.models import Document, TaskKind
from core.pdf import sha256_hex
from core.services import task_create

logger = logging.getLogger(__name__)

# The status of the "file unavailable" page: the document exists, the server lost its
# file (a server-side fault, not a wrong address); a retry after staff restored it works.
UNAVAILABLE_STATUS = 503


def _stored_bytes(field_file: Any) -> bytes | None:
    if not field_file:
        return None
    try:
        with field_file.open("rb") as handle:
            return handle.read()
    except (OSError, ValueError):  # FileNotFoundError is an OSError; no name: ValueError
        return None


def document_bytes(
    *, document: Document, rerender: Callable[[], bytes] | None = None
) -> bytes | None:
    """The document's exact bytes, or None when they cannot be had.

    In order: the stored file; another stored file with the same SHA-256 for the same
    customer (a document signed online is a byte copy of the contract sent for signing);
    ``rerender()``, the document made again from the records, kept only if its SHA-256 is
    the stored one. Nothing is written: a GET that downloads changes no state.
    """
    data = _stored_bytes(document.file)
    if data is not None:
        return data
    twins = (
        Document.objects.filter(sha256=document.sha256, customer_id=document.customer_id)
        .exclude(pk=document.pk)
        .order_by("pk")
    )
    for twin in twins[:5]:
        data = _stored_bytes(twin.file)
        if data is not None and sha256_hex(data) == document.sha256:
            return data
    if rerender is None:
        return None
    try:
        data = rerender()
    except Exception:  # a missing font or template must not turn into a 500 here
        logger.exception("re-rendering document %s failed", document.pk)
        return None
    if sha256_hex(data) != document.sha256:
        logger.warning(
            "document %s: the re-rendered PDF differs from the stored one; not served",
            document.pk,
        )
        return None
    logger.warning("document %s: file missing, served an identical re-rendered copy", document.pk)
    return data


def document_missing_report(*, document: Document) -> None:
    """Tell staff that a document's file is gone: a task for the contract's owner (else
    the customer's account manager), once per document."""
    contract = document.contract
    customer = document.customer
    manager = None
    if contract is not None and contract.owner_id:
        manager = contract.owner
    elif customer.account_manager_id:
        manager = customer.account_manager
    if manager is None:
        return
    with translation.override(getattr(manager, "language", None) or settings.LANGUAGE_CODE):
        title = _("Document file missing: %(title)s") % {"title": document.display_title}
        details = _(
            "The stored file %(name)s (SHA-256 %(sha)s) could not be read and cannot be made "
            "again identically. Restore it from a backup of the media storage; the customer "
            "was told it is unavailable."
        ) % {"name": document.file.name, "sha": document.sha256}
    task_create(
        assignee=manager,
        kind=TaskKind.OTHER,
        title=title,
        details=details,
        due_date=timezone.localdate(),
        customer=customer,
        contract=contract,
        dedupe_key=f"document-file-missing:{document.pk}",
    )


def document_response(
    request: HttpRequest,
    *,
    document: Document,
    filename: str,
    unavailable_template: str,
    rerender: Callable[[], bytes] | None = None,
    as_attachment: bool = False,
    context: dict[str, Any] | None = None,
) -> HttpResponseBase:
    """The document's file, or the "file unavailable" page (and staff told) when neither
    the file nor an identical copy can be had."""
    if document.file:
        try:
            handle = document.file.open("rb")
        except (OSError, ValueError):
            pass
        else:  # the usual case: stream the stored file
            return FileResponse(handle, as_attachment=as_attachment, filename=filename)
    data = document_bytes(document=document, rerender=rerender)
    if data is None:
        logger.error(
            "document %s (%s, %s) has no readable file at %r and no identical copy could be made",
            document.pk,
            document.kind,
            document.title,
            document.file.name,
        )
        if request.method == "POST":  # the page's button: tell staff, then back to it
            document_missing_report(document=document)
            messages.success(
                request, _("Thank you. Your account manager has been asked to restore it.")
            )
            return redirect(request.get_full_path())
        return render(
            request,
            unavailable_template,
            {"document": document, **(context or {})},
            status=UNAVAILABLE_STATUS,
        )
    return FileResponse(io.BytesIO(data), as_attachment=as_attachment, filename=filename)
