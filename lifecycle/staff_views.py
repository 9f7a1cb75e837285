"""Staff downloads of the compliance evidence (lifecycle/compliance_evidence.py): one PDF
and one CSV per customer or per contract, from the customer and contract pages.

GET only reads. The manager's book applies (core.access): another manager's customer or
contract is a 404, never a hint that it exists.
"""

from __future__ import annotations

import logging

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from contracts.access import contracts_visible_to
from contracts.models import Contract
from core.auth import staff_required
from core.csv_export import csv_response
from customers.access import customers_visible_to

from .compliance_evidence import Evidence, evidence_build
from .compliance_evidence_export import (
    evidence_csv_header,
    evidence_csv_rows,
    evidence_filename,
    evidence_pdf_render,
)

logger = logging.getLogger(__name__)


def _customer_evidence(request: HttpRequest, pk: int) -> Evidence:
    customer = customers_visible_to(request.user).filter(pk=pk).first()
    if customer is None:
        raise Http404
    return evidence_build(customer=customer)


def _contract_evidence(request: HttpRequest, pk: int) -> Evidence:
    contract: Contract | None = (
        contracts_visible_to(request.user).select_related("customer").filter(pk=pk).first()
    )
    if contract is None:
        raise Http404
    return evidence_build(customer=contract.customer, contract=contract)


def _pdf(request: HttpRequest, evidence: Evidence) -> HttpResponse:
    data = evidence_pdf_render(evidence)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{evidence_filename(evidence, "pdf")}"'
    _log(request, evidence, "pdf")
    return response


def _csv(request: HttpRequest, evidence: Evidence) -> HttpResponse:
    response = csv_response(
        filename=evidence_filename(evidence, "csv"),
        header=evidence_csv_header(),
        rows=evidence_csv_rows(evidence),
    )
    _log(request, evidence, "csv")
    return response


def _log(request: HttpRequest, evidence: Evidence, kind: str) -> None:
    # Who exported whose evidence: personal data left the system.
    logger.info(
        "evidence %s exported by %s: customer %s contract %s",
        kind,
        request.user.get_username(),
        evidence.customer.code,
        evidence.contract.number if evidence.contract is not None else "-",
    )


@staff_required
@require_GET
def customer_evidence_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return _pdf(request, _customer_evidence(request, pk))


@staff_required
@require_GET
def customer_evidence_csv(request: HttpRequest, pk: int) -> HttpResponse:
    return _csv(request, _customer_evidence(request, pk))


@staff_required
@require_GET
def contract_evidence_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return _pdf(request, _contract_evidence(request, pk))


@staff_required
@require_GET
def contract_evidence_csv(request: HttpRequest, pk: int) -> HttpResponse:
    return _csv(request, _contract_evidence(request, pk))
