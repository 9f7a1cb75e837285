"""The staff shell: login, logout, the personal task list and document downloads.

The staff home (dashboard) lives in insights.views."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView, LogoutView
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from contracts.access import contracts_visible_to
from core.auth import AuthenticatedRequest, LockoutMessageMixin, staff_required
from core.document_files import document_response
from core.errors import DomainError
from core.models import Document, Task
from core.services import task_complete
from customers.access import customers_visible_to
from renewals.documents import document_rerender


class StaffAuthenticationForm(LockoutMessageMixin, AuthenticationForm):
    """Only staff accounts may log in here; portal customers use their magic link.

    Throttled by django-axes together with the admin login (core.auth)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "not_staff": gettext_lazy("This account cannot use the staff area."),
    }

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if not user.is_staff:
            raise forms.ValidationError(self.error_messages["not_staff"], code="not_staff")


class StaffLoginView(LoginView):
    template_name = "registration/login.html"
    authentication_form = StaffAuthenticationForm

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # Already logged-in staff skip the form; a logged-in portal user sees it instead
        # of being bounced between the two areas.
        if request.user.is_authenticated and request.user.is_staff:
            target = self.get_redirect_url() or self.get_default_redirect_url()
            return redirect(target)
        return super().dispatch(request, *args, **kwargs)


class StaffLogoutView(LogoutView):
    """POST only (Django's LogoutView refuses GET)."""

    next_page = "staff-login"


@staff_required
def staff_tasks(request: AuthenticatedRequest) -> HttpResponse:
    """My tasks: open ones first by due date, then the recently completed."""
    today = timezone.localdate()
    mine = Task.objects.filter(assignee=request.user).select_related("customer", "contract")
    open_page = Paginator(
        mine.filter(done_at__isnull=True).order_by("due_date", "id"), 50
    ).get_page(request.GET.get("page"))
    done = list(mine.filter(done_at__isnull=False).order_by("-done_at", "-id")[:10])
    return render(
        request,
        "staff/tasks.html",
        {"today": today, "page_obj": page_obj_with_flags(open_page, today), "done_tasks": done},
    )


def page_obj_with_flags(page: Any, today: dt.date) -> Any:
    for task in page.object_list:
        task.is_overdue = task.due_date < today
        task.is_due_today = task.due_date == today
    return page


@require_POST
@staff_required
def staff_task_done(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    task = get_object_or_404(Task, pk=pk)
    if task.assignee_id != request.user.pk and not request.user.is_team_lead:
        # Someone else's task: as if it did not exist.
        raise Http404
    try:
        task_complete(task=task, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Task “%(title)s” marked as done.") % {"title": task.title})
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "staff-tasks"
    return redirect(target)


def _file_response(field_file: Any) -> FileResponse:
    """The stored file inline under its own name; 404 when there is none on disk."""
    if not field_file:
        raise Http404
    try:
        handle = field_file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    name = field_file.name.rsplit("/", 1)[-1]
    return FileResponse(handle, filename=name, as_attachment=False)


@staff_required
def staff_document_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    """A stored document, for staff whose book holds its customer (404 otherwise)."""
    document = get_object_or_404(
        Document.objects.filter(customer__in=customers_visible_to(request.user)), pk=pk
    )
    # A lost file: an identical copy (same SHA-256) made again, else a page saying it is
    # unavailable, whose button gives the account manager a task (core.document_files).
    return document_response(
        request,
        document=document,
        filename=document.file.name.rsplit("/", 1)[-1],
        rerender=document_rerender(document),
        unavailable_template="staff/document_unavailable.html",
    )


@staff_required
def staff_contract_signed_document(request: HttpRequest, pk: int) -> FileResponse:
    """A contract's signed document, for staff whose book holds the contract (404 otherwise).

    MEDIA_ROOT is not served (config/urls.py): this is the way to the file."""
    contract = get_object_or_404(contracts_visible_to(request.user), pk=pk)
    return _file_response(contract.signed_document)
