"""PDF rendering with WeasyPrint and storage with the SHA-256 of the exact bytes."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.utils import translation

from core.models import Document

# Chinese needs a CJK font: Debian's fonts-wqy-microhei or fonts-noto-cjk (installed by make).
PDF_FONT_STACK = '"WenQuanYi Micro Hei", "Noto Sans CJK SC", "DejaVu Sans", sans-serif'


def pdf_render(
    *, template_name: str, context: dict[str, Any], language: str | None = None
) -> bytes:
    """Render a template under templates/pdf/ to PDF bytes in the given language."""
    from weasyprint import HTML

    with translation.override(language or translation.get_language()):
        html = render_to_string(template_name, {"PDF_FONT_STACK": PDF_FONT_STACK, **context})
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def document_store(
    *,
    data: bytes,
    kind: str,
    title: str,
    customer: Any,
    filename: str,
    contract: Any = None,
    by: Any = None,
) -> Document:
    doc = Document(
        kind=kind,
        title=title,
        customer=customer,
        contract=contract,
        sha256=sha256_hex(data),
        size=len(data),
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    doc.file.save(filename, ContentFile(data), save=False)
    doc.save()
    return doc
