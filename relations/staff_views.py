"""Staff pages of relationship maintenance: the due and overdue contacts (log or skip one),
the customers not contacted in N days, and the team's tasks (counts by owner, reassign,
complete with an outcome). Every page reads through ``relations.teams.team_scope``; a row
outside the user's scope answers 404, as if it did not exist."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.auth import AuthenticatedRequest, staff_required
from core.errors import DomainError
from core.models import Task

from . import services
from .forms import (
    ContactFilterForm,
    ContactLogForm,
    ContactSkipForm,
    NotContactedForm,
    TaskOutcomeForm,
    TaskReassignForm,
)
from .models import PlannedContact
from .selectors import (
    NOT_CONTACTED_POPULATION,
    customers_not_contacted,
    due_contacts,
    not_contacted_days_default,
    team_task_counts,
    team_tasks,
    team_tasks_done,
)
from .teams import TeamScope, team_scope

PAGE = 50


def _back(request: AuthenticatedRequest, default: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = default
    return redirect(target)


def first_error(form: Any) -> str:
    """The first message of a refused form (shown as a flash message above the list)."""
    for errors in form.errors.values():
        return str(errors[0])
    return _("Check the form.")


def _planned(scope: TeamScope, pk: int) -> PlannedContact:
    qs = scope.apply(
        PlannedContact.objects.select_related("customer", "task"),
        field="customer__account_manager",
    )
    return get_object_or_404(qs, pk=pk)


@staff_required
def contacts_due(request: AuthenticatedRequest) -> HttpResponse:
    """Due and overdue planned contacts of the user's book (a lead: of the team)."""
    scope = team_scope(request.user)
    today = timezone.localdate()
    form = ContactFilterForm(request.GET or None, scope=scope)
    page = Paginator(
        due_contacts(scope=scope, as_of=today, filters=form.to_filters()), PAGE
    ).get_page(request.GET.get("page"))
    for planned in page.object_list:
        planned.is_overdue = planned.due_date < today
    return render(
        request,
        "relations/contacts_due.html",
        {
            "form": form,
            "page_obj": page,
            "today": today,
            "scope": scope,
            "log_form": ContactLogForm(),
            "query": request.GET.urlencode(),
        },
    )


@require_POST
@staff_required
def contact_log(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    planned = _planned(team_scope(request.user), pk)
    form = ContactLogForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_error(form))
    else:
        try:
            services.planned_contact_log(
                planned=planned,
                by=request.user,
                summary=form.cleaned_data["summary"],
                at=form.cleaned_data["at"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("%(kind)s with %(customer)s logged.")
                % {"kind": planned.get_kind_display(), "customer": planned.customer.name},
            )
    return _back(request, "relations:contacts")


@require_POST
@staff_required
def contact_skip(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    planned = _planned(team_scope(request.user), pk)
    form = ContactSkipForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_error(form))
    else:
        try:
            services.planned_contact_skip(
                planned=planned, by=request.user, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Contact skipped; the next one is planned from it."))
    return _back(request, "relations:contacts")


@staff_required
def not_contacted(request: AuthenticatedRequest) -> HttpResponse:
    scope = team_scope(request.user)
    today = timezone.localdate()
    form = NotContactedForm(request.GET or None)
    days = not_contacted_days_default()
    if form.is_valid() and form.cleaned_data.get("days"):
        days = form.cleaned_data["days"]
    page = Paginator(customers_not_contacted(scope=scope, as_of=today, days=days), PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "relations/not_contacted.html",
        {
            "form": form,
            "days": days,
            "page_obj": page,
            "today": today,
            "scope": scope,
            "population": NOT_CONTACTED_POPULATION,
        },
    )


@staff_required
def tasks_team(request: AuthenticatedRequest) -> HttpResponse:
    """A lead's team tasks with counts by owner; a manager without a team sees their own."""
    scope = team_scope(request.user)
    today = timezone.localdate()
    owner = request.GET.get("owner", "")
    owner_id = int(owner) if owner.isdigit() and scope.includes(int(owner)) else None
    overdue = request.GET.get("overdue") == "1"
    page = Paginator(
        team_tasks(scope=scope, owner_id=owner_id, overdue_on=today if overdue else None), PAGE
    ).get_page(request.GET.get("page"))
    for task in page.object_list:
        task.is_overdue = task.due_date < today
    return render(
        request,
        "relations/team_tasks.html",
        {
            "page_obj": page,
            "counts": team_task_counts(scope=scope, as_of=today),
            "done_tasks": team_tasks_done(scope=scope),
            "members": list(scope.staff()) if scope.is_lead else [],
            "scope": scope,
            "today": today,
            "owner_id": owner_id,
            "overdue": overdue,
            "query": request.GET.urlencode(),
        },
    )


@require_POST
@staff_required
def task_reassign(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    scope = team_scope(request.user)
    if not scope.is_lead:
        raise Http404
    task = get_object_or_404(scope.apply(Task.objects.all(), field="assignee"), pk=pk)
    form = TaskReassignForm(request.POST, scope=scope)
    if not form.is_valid():
        messages.error(request, first_error(form))
    else:
        try:
            services.task_reassign(
                task=task,
                to=form.cleaned_data["assignee"],
                by=request.user,
                estimate_minutes=form.cleaned_data["estimate_minutes"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("“%(title)s” is now with %(owner)s.")
                % {"title": task.title, "owner": form.cleaned_data["assignee"]},
            )
    return _back(request, "relations:team-tasks")


@require_POST
@staff_required
def task_finish(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    scope = team_scope(request.user)
    task = get_object_or_404(scope.apply(Task.objects.all(), field="assignee"), pk=pk)
    form = TaskOutcomeForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_error(form))
    else:
        try:
            services.task_finish(task=task, by=request.user, outcome=form.cleaned_data["outcome"])
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Task “%(title)s” marked as done.") % {"title": task.title})
    return _back(request, "relations:team-tasks")
