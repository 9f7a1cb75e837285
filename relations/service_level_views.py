"""Staff pages of service levels, under /staff/relations/: the indicators of a renewal
quote (added while it is a draft), the measurements and claims of a contract, and the
queue of claims waiting for a decision.

Quotes are reached through ``renewals.selectors.cases_visible_to`` and contracts through
``contracts.access.contracts_visible_to``, the rules of the quote and contract pages
themselves: anything outside the user's book answers 404. This module imports only apps
below relations (it is not one of the interface modules of the import contract)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from contracts.access import contracts_visible_to
from contracts.models import Contract
from core.auth import AuthenticatedRequest, staff_required
from core.errors import DomainError
from renewals.models import Quote, QuoteStatus
from renewals.selectors import cases_visible_to

from . import compensation_claims, service_levels
from .service_level_forms import ClaimApproveForm, ClaimRejectForm, IndicatorForm, MeasurementForm
from .service_level_models import ClaimStatus, CompensationClaim, ServiceIndicator


def first_error(form: Any) -> str:
    for errors in form.errors.values():
        return str(errors[0])
    return _("Check the form.")


def _quote(request: AuthenticatedRequest, pk: int) -> Quote:
    return get_object_or_404(
        Quote.objects.filter(case__in=cases_visible_to(request.user)).select_related(
            "case", "case__contract", "case__contract__customer", "case__successor"
        ),
        pk=pk,
    )


def _contract(request: AuthenticatedRequest, pk: int) -> Contract:
    return get_object_or_404(contracts_visible_to(request.user).select_related("customer"), pk=pk)


def _claim(request: AuthenticatedRequest, pk: int) -> CompensationClaim:
    return get_object_or_404(
        CompensationClaim.objects.filter(
            contract__in=contracts_visible_to(request.user)
        ).select_related("measurement__indicator", "measurement__contract", "contract"),
        pk=pk,
    )


def _quote_page(
    request: AuthenticatedRequest,
    quote: Quote,
    *,
    form: IndicatorForm | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "relations/quote_service_levels.html",
        {
            "quote": quote,
            "case": quote.case,
            "indicators": quote.service_indicators.all(),
            "editable": quote.status == QuoteStatus.DRAFT,
            "form": form or IndicatorForm(),
        },
        status=status,
    )


@staff_required
def quote_service_levels(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _quote_page(request, _quote(request, pk))


@require_POST
@staff_required
def quote_indicator_add(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    quote = _quote(request, pk)
    form = IndicatorForm(request.POST)
    if not form.is_valid():
        return _quote_page(request, quote, form=form, status=400)
    try:
        indicator = service_levels.indicator_add(quote=quote, spec=form.spec(), by=request.user)
    except DomainError as exc:
        form.add_error(None, exc.message)
        return _quote_page(request, quote, form=form, status=400)
    messages.success(request, _("“%(name)s” added to the quote.") % {"name": indicator.label})
    return redirect("relations:quote-service-levels", pk=quote.pk)


@require_POST
@staff_required
def quote_indicator_remove(
    request: AuthenticatedRequest, pk: int, indicator_pk: int
) -> HttpResponse:
    quote = _quote(request, pk)
    indicator = get_object_or_404(ServiceIndicator.objects.filter(quote=quote), pk=indicator_pk)
    try:
        service_levels.indicator_remove(indicator=indicator)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Indicator removed."))
    return redirect("relations:quote-service-levels", pk=quote.pk)


def _contract_page(
    request: AuthenticatedRequest,
    contract: Contract,
    *,
    today: dt.date,
    bound: tuple[int, MeasurementForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    # Each row carries its measurement form for the page (not a model attribute); a claim
    # waiting for a decision carries the amount due and its two forms.
    rows: list[Any] = service_levels.contract_service_levels(contract=contract, as_of=today)
    for row in rows:
        if bound and bound[0] == row.indicator.pk:
            row.form = bound[1]
        else:
            row.form = MeasurementForm(
                periods=row.open_periods, auto_id=f"id_m{row.indicator.pk}_%s"
            )
        for m in row.measurements:
            claim = getattr(m, "claim", None)
            if claim is not None and claim.status == ClaimStatus.FILED:
                claim.due = service_levels.compensation_due(m)
                claim.approve_form = ClaimApproveForm(
                    initial={"amount": claim.due}, auto_id=f"id_a{claim.pk}_%s"
                )
                claim.reject_form = ClaimRejectForm(auto_id=f"id_r{claim.pk}_%s")
    return render(
        request,
        "relations/contract_service_levels.html",
        {"contract": contract, "rows": rows, "today": today},
        status=status,
    )


@staff_required
def contract_service_levels(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _contract_page(request, _contract(request, pk), today=timezone.localdate())


@require_POST
@staff_required
def measurement_record(request: AuthenticatedRequest, pk: int, indicator_pk: int) -> HttpResponse:
    contract = _contract(request, pk)
    today = timezone.localdate()
    indicator = get_object_or_404(service_levels.indicators_for_contract(contract), pk=indicator_pk)
    periods = service_levels.indicator_periods(indicator=indicator, contract=contract, as_of=today)
    form = MeasurementForm(request.POST, periods=periods, auto_id=f"id_m{indicator.pk}_%s")
    if form.is_valid():
        try:
            measurement = service_levels.measurement_record(
                contract=contract,
                indicator=indicator,
                period_start=dt.date.fromisoformat(form.cleaned_data["period_start"]),
                value=form.cleaned_data["value"],
                note=form.cleaned_data["note"],
                as_of=today,
                by=request.user,
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            text = (
                _("Recorded: %(indicator)s missed its target in %(period)s.")
                if measurement.breached
                else _("Recorded: %(indicator)s met its target in %(period)s.")
            )
            messages.success(
                request,
                text
                % {
                    "indicator": indicator.label,
                    "period": service_levels.measurement_period(measurement).label,
                },
            )
            return redirect("relations:contract-service-levels", pk=contract.pk)
    return _contract_page(request, contract, today=today, bound=(indicator.pk, form), status=400)


@require_POST
@staff_required
def claim_approve(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    claim = _claim(request, pk)
    form = ClaimApproveForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_error(form))
    else:
        try:
            claim = compensation_claims.claim_approve(
                claim=claim,
                by=request.user,
                amount=form.cleaned_data["amount"],
                note=form.cleaned_data["note"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("Claim approved: credit note %(number)s issued.")
                % {"number": claim.credit_note.number if claim.credit_note else "—"},
            )
    return redirect("relations:contract-service-levels", pk=claim.contract_id)


@require_POST
@staff_required
def claim_reject(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    claim = _claim(request, pk)
    form = ClaimRejectForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_error(form))
    else:
        try:
            compensation_claims.claim_reject(
                claim=claim, by=request.user, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Claim rejected; the customer is told why."))
    return redirect("relations:contract-service-levels", pk=claim.contract_id)


@staff_required
def claims_queue(request: AuthenticatedRequest) -> HttpResponse:
    """Claims waiting for a decision in the user's book, oldest first."""
    claims = (
        CompensationClaim.objects.filter(
            contract__in=contracts_visible_to(request.user), status=ClaimStatus.FILED
        )
        .select_related("contract", "customer", "measurement__indicator")
        .order_by("created_at", "id")
    )
    page = Paginator(claims, 50).get_page(request.GET.get("page"))
    return render(request, "relations/claims_queue.html", {"page_obj": page})
