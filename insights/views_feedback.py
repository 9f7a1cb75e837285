"""Staff work on customer feedback and complaints: queue, detail, assign, reply, status.

Replies and status changes go through portal.services (the same functions the portal
uses), so the customer sees the staff reply on their feedback page; a staff reply is
also sent to the customer (insights.services.feedback_staff_reply).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.auth import staff_required
from core.errors import DomainError

from . import services
from .feedback import (
    feedback_assignee,
    feedback_for_staff,
    feedback_get_for_staff,
    feedback_set_status,
)
from .feedback_states import FEEDBACK
from .forms import FeedbackAssignForm, FeedbackReplyForm, FeedbackStatusForm
from .models import Feedback, FeedbackCategory, FeedbackStatus

SHOW_CHOICES = ("open", "overdue", "all", *FeedbackStatus.values)


def _get(request: HttpRequest, pk: int) -> Feedback:
    try:
        return feedback_get_for_staff(user=request.user, pk=pk)
    except Feedback.DoesNotExist:
        raise Http404 from None


@staff_required
def feedback_list(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "open")
    if show not in SHOW_CHOICES:
        show = "open"
    category = request.GET.get("category", "")
    if category not in FeedbackCategory.values:
        category = ""
    mine = request.GET.get("mine") == "1"
    qs = feedback_for_staff(user=request.user, show=show, category=category, mine=mine)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "insights/feedback_list.html",
        {
            "page_obj": page,
            "show": show,
            "category": category,
            "mine": mine,
            "categories": FeedbackCategory.choices,
            "statuses": FeedbackStatus.choices,
        },
    )


@staff_required
def feedback_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = _get(request, pk)
    assignee = feedback_assignee(item)
    return render(
        request,
        "insights/feedback_detail.html",
        {
            "item": item,
            "assignee": assignee,
            "assign_form": FeedbackAssignForm(initial={"assignee": assignee}),
            "reply_form": FeedbackReplyForm(),
            "status_form": FeedbackStatusForm(),
            "allowed": FEEDBACK.transitions[item.status],
        },
    )


@require_POST
@staff_required
def feedback_assign(request: HttpRequest, pk: int) -> HttpResponse:
    item = _get(request, pk)
    form = FeedbackAssignForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a staff member."))
    else:
        try:
            services.feedback_assign(
                feedback=item, assignee=form.cleaned_data["assignee"], by=request.user
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Assigned."))
    return redirect("insights:feedback-detail", pk=item.pk)


@require_POST
@staff_required
def feedback_reply(request: HttpRequest, pk: int) -> HttpResponse:
    item = _get(request, pk)
    form = FeedbackReplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write a reply first."))
    else:
        try:
            services.feedback_staff_reply(
                feedback=item, by=request.user, body=form.cleaned_data["body"]
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("Reply sent. The customer sees it in the portal and is notified of it."),
            )
    return redirect("insights:feedback-detail", pk=item.pk)


@require_POST
@staff_required
def feedback_status(request: HttpRequest, pk: int) -> HttpResponse:
    item = _get(request, pk)
    form = FeedbackStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose what to do."))
    else:
        try:
            feedback_set_status(
                feedback=item,
                to=form.cleaned_data["to"],
                by=request.user,
                note=form.cleaned_data["note"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Status updated."))
    return redirect("insights:feedback-detail", pk=item.pk)
