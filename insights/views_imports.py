"""CSV import pages (team leads) and CSV exports of the staff lists."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from contracts.customer_selectors import customer_list
from contracts.forms import ContractFilterForm
from contracts.importers import CONTRACT_COLUMNS
from contracts.selectors import contract_list
from core.auth import AuthenticatedRequest, staff_required
from core.csv_export import csv_currencies, csv_response, money_cells
from core.errors import DomainError
from core.money import MoneyTotals
from customers.forms import CustomerFilterForm
from customers.importers import CUSTOMER_COLUMNS
from customers.tags import tags_display

from .export_values import active_values_of, with_active_value_by_currency
from .imports import import_job_create, import_job_status
from .models import ImportJob, ImportKind


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("The file contains"),
        choices=ImportKind.choices,
        widget=forms.RadioSelect,
    )
    file = forms.FileField(label=gettext_lazy("CSV file (UTF-8)"))
    dry_run = forms.BooleanField(
        label=gettext_lazy("Only check the file, import nothing"), required=False
    )


def _team_lead(request: AuthenticatedRequest) -> None:
    # Imports change many books at once: team leads only.
    if not request.user.is_team_lead:
        raise PermissionDenied


def _job(request: AuthenticatedRequest, pk: int) -> ImportJob:
    job = get_object_or_404(ImportJob, pk=pk)
    if job.created_by_id != request.user.pk and not request.user.is_team_lead:
        raise Http404
    return job


@staff_required
def import_upload(request: AuthenticatedRequest) -> HttpResponse:
    _team_lead(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = import_job_create(
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
                by=request.user,
                dry_run=form.cleaned_data["dry_run"],
            )
        except DomainError as exc:
            form.add_error("file", exc.message)
        else:
            return redirect("insights:import-job", pk=job.pk)
    return render(
        request,
        "insights/import_upload.html",
        {
            "form": form,
            "jobs": ImportJob.objects.filter(created_by=request.user)[:10],
            "columns": {
                "customers": ",".join(CUSTOMER_COLUMNS),
                "contracts": ",".join(CONTRACT_COLUMNS),
            },
        },
    )


@staff_required
def import_job(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    return render(
        request,
        "insights/import_job.html",
        {"job": job, "errors": job.errors[:500], "more_errors": max(len(job.errors) - 500, 0)},
    )


@staff_required
def import_job_json(request: AuthenticatedRequest, pk: int) -> JsonResponse:
    return JsonResponse(import_job_status(_job(request, pk)))


@staff_required
def import_job_errors(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    return csv_response(
        filename=f"import-{job.pk}-errors.csv",
        header=[pgettext("row number", "Line"), _("Column"), _("Problem")],
        rows=([e.get("line"), e.get("column"), e.get("message")] for e in job.errors),
    )


# --- list exports ------------------------------------------------------------------------


@staff_required
def contracts_export(request: HttpRequest) -> HttpResponse:
    """The contract list as CSV, with the list's filters (all pages)."""
    form = ContractFilterForm(request.GET or None, user=request.user)
    qs = contract_list(user=request.user, filters=form.to_filters())
    # Money columns, one per currency: a spreadsheet's column sum never adds USD to CNY.
    currencies = csv_currencies(qs.order_by().values_list("currency", flat=True).distinct())

    def rows() -> Any:
        for c in qs.iterator(chunk_size=2000):
            manager = c.customer.account_manager
            yield [
                c.number,
                c.customer.code,
                c.customer.name,
                c.plan.code if c.plan else "",
                c.get_status_display(),
                c.start_date,
                c.end_date,
                *money_cells(MoneyTotals.of([(c.currency, c.total_amount)]), currencies),
                *money_cells(MoneyTotals.of([(c.currency, c.annual_value)]), currencies),
                c.currency,
                c.auto_renew,
                manager.username if manager else "",
            ]

    return csv_response(
        filename=f"contracts-{timezone.localdate():%Y%m%d}.csv",
        header=[
            _("Number"),
            _("Customer code"),
            _("Customer"),
            _("Plan"),
            _("Status"),
            _("Start date"),
            _("End date"),
            *[_("Total for the term (%(currency)s)") % {"currency": c} for c in currencies],
            *[_("Annualised value (%(currency)s)") % {"currency": c} for c in currencies],
            _("Currency"),
            _("Auto-renew"),
            _("Account manager"),
        ],
        rows=rows(),
    )


@staff_required
def customers_export(request: HttpRequest) -> HttpResponse:
    form = CustomerFilterForm(request.GET or None, user=request.user)
    qs = customer_list(user=request.user, filters=form.to_filters())
    qs, currencies = with_active_value_by_currency(qs)

    def rows() -> Any:
        # iterator() drops prefetches: the primary contact is not exported here. Each row
        # carries customer_list's annotations (active_count, next_end_date).
        customers: Iterator[Any] = qs.iterator(chunk_size=2000)
        for c in customers:
            yield [
                c.code,
                c.name,
                c.get_kind_display(),
                c.tier_override or c.tier,
                c.account_manager.username if c.account_manager else "",
                c.active_count,
                *money_cells(active_values_of(c, currencies), currencies),
                c.next_end_date,
                c.language,
                ", ".join(tags_display(c.tags)),
            ]

    return csv_response(
        filename=f"customers-{timezone.localdate():%Y%m%d}.csv",
        header=[
            _("Code"),
            pgettext("customer", "Name"),
            _("Kind"),
            _("Tier"),
            _("Account manager"),
            _("Active contracts"),
            # Plain decimals for spreadsheets, so each header names its currency.
            *[_("Active annualised value (%(currency)s)") % {"currency": c} for c in currencies],
            _("Next end date"),
            _("Language"),
            _("Tags"),
        ],
        rows=rows(),
    )
