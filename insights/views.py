"""Staff insights pages: the dashboard (the staff home) and its CSV exports."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.auth import AuthenticatedRequest, staff_required
from core.csv_export import csv_response
from core.errors import DomainError
from core.models import Task
from customers.access import customers_visible_to
from customers.views import customer_page
from relations.selectors import relations_dashboard_figures
from relations.teams import team_scope

from . import services
from .dashboard import csv_table, dashboard_build, dashboard_build_cached
from .forms import DashboardFilterForm, InteractionForm
from .selectors import EXPIRY_WINDOWS, METRIC_DEFINITIONS


@staff_required
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    """The staff home: where renewals stand in the user's book, and their open tasks."""
    today = timezone.localdate()
    form = DashboardFilterForm(request.GET or None, user=request.user)
    filters = form.to_filters()
    data = dashboard_build_cached(user=request.user, filters=filters, today=today)
    total = data["expirations"]["total"][0]
    open_tasks = Task.objects.filter(assignee=request.user, done_at__isnull=True)
    task_counts = open_tasks.aggregate(
        open=Count("id"), overdue=Count("id", filter=Q(due_date__lt=today))
    )
    query = request.GET.urlencode()
    return render(
        request,
        "insights/dashboard.html",
        {
            **data,
            "today": today,
            "form": form,
            "filters": filters,
            "query": query,
            "windows": [
                {"days": d, "count": total.counts[d], "value": total.values[d]}
                for d in EXPIRY_WINDOWS
            ],
            "definitions": METRIC_DEFINITIONS,
            "task_counts": task_counts,
            "upcoming_tasks": list(open_tasks.select_related("customer", "contract")[:5]),
            "sees_all": request.user.is_team_lead,
            "relations": relations_dashboard_figures(scope=team_scope(request.user), as_of=today),
        },
    )


EXPORTABLE = ("monthly", "reasons", "total", "tier", "manager", "plan")


@staff_required
def dashboard_export(request: HttpRequest, table: str) -> HttpResponse:
    """One dashboard table as CSV (cells escaped against formula injection)."""
    if table not in EXPORTABLE:
        raise Http404
    form = DashboardFilterForm(request.GET or None, user=request.user)
    data = dashboard_build(user=request.user, filters=form.to_filters(), today=timezone.localdate())
    tables: dict[str, Any] = {t["key"]: t for t in data["expiry_tables"]}
    tables["monthly"] = data["monthly_table"]
    tables["reasons"] = data["reasons_table"]
    header, rows = csv_table(tables[table])
    return csv_response(
        filename=f"dashboard-{table}-{timezone.localdate():%Y%m%d}.csv", header=header, rows=rows
    )


@require_POST
@staff_required
def interaction_add(request: HttpRequest, customer_pk: int) -> HttpResponse:
    customer = get_object_or_404(customers_visible_to(request.user), pk=customer_pk)
    form = InteractionForm(request.POST)
    if form.is_valid():
        try:
            services.interaction_log(
                customer=customer,
                by=request.user,
                kind=form.cleaned_data["kind"],
                summary=form.cleaned_data["summary"],
                at=form.cleaned_data["at"],
                next_follow_up=form.cleaned_data["next_follow_up"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Added to the relationship log."))
            return redirect(reverse("customers:detail", args=[customer.pk]) + "#relationship")
    # Refused: the customer page again, the form bound with its errors beside the fields.
    return customer_page(request, customer.pk, interaction_form=form)
