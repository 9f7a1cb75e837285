"""The cancellation confirmation PDF: the durable-medium record of the customer's
withdrawal / cancellation (EU 2023/2673), stored with its SHA-256."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from core.models import Document, DocumentKind
from core.pdf import document_store, pdf_render

from .models import CancellationRequest
from .policy import ONE_DAY

TEMPLATE = "pdf/cancellation_confirmation.html"


def confirmation_pdf_render(*, request: CancellationRequest, language: str | None = None) -> bytes:
    contract = request.contract
    language = language or request.customer.language
    events = list(request.events.filter(internal=False).order_by("at", "id"))
    return pdf_render(
        template_name=TEMPLATE,
        context={
            "request": request,
            "contract": contract,
            "customer": request.customer,
            "events": events,
            "last_service_day": (
                request.effective_date - ONE_DAY if request.effective_date else None
            ),
            "generated_at": timezone.now(),
        },
        language=language,
    )


def confirmation_document_create(*, request: CancellationRequest) -> Document:
    """Render and store the confirmation once; later calls return the stored document."""
    if request.confirmation_document_id:
        return request.confirmation_document  # type: ignore[return-value]
    data = confirmation_pdf_render(request=request)
    with override(request.customer.language):
        title = _("Cancellation confirmation %(number)s") % {"number": request.contract.number}
    document = document_store(
        data=data,
        kind=DocumentKind.CANCELLATION,
        title=title,
        customer=request.customer,
        contract=request.contract,
        filename=f"cancellation-{request.contract.number}-{request.pk}.pdf",
    )
    # Compare-and-swap: if two callers rendered at once, the first stored one wins.
    updated = CancellationRequest.objects.filter(
        pk=request.pk, confirmation_document__isnull=True
    ).update(confirmation_document=document)
    if not updated:
        request.refresh_from_db()
        return request.confirmation_document  # type: ignore[return-value]
    request.confirmation_document = document
    return document
