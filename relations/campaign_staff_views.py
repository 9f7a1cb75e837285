"""Staff pages of campaigns, under /staff/relations/campaigns/: the list, write and edit a
draft (with the segment's member count and the message in both languages for a sample
member), schedule, put back to draft, cancel, and the report. Every page reads through
``campaigns_visible_to``: another team's campaign answers 404."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.auth import AuthenticatedRequest, staff_required
from core.errors import DomainError

from .campaign_forms import CampaignForm, ScheduleForm
from .campaign_models import Campaign, CampaignStatus
from .campaign_report import campaign_report, campaigns_visible_to
from .campaigns import (
    campaign_cancel,
    campaign_preview,
    campaign_schedule,
    campaign_unschedule,
)


def _campaign(request: AuthenticatedRequest, pk: int) -> Campaign:
    return get_object_or_404(campaigns_visible_to(request.user), pk=pk)


@staff_required
def campaign_list(request: AuthenticatedRequest) -> HttpResponse:
    campaigns = campaigns_visible_to(request.user).order_by("-created_at", "-id")[:200]
    return render(request, "relations/campaigns/list.html", {"campaigns": campaigns})


@staff_required
@require_http_methods(["GET", "POST"])
def campaign_edit(request: AuthenticatedRequest, pk: int | None = None) -> HttpResponse:
    campaign = _campaign(request, pk) if pk is not None else None
    if campaign is not None and campaign.status != CampaignStatus.DRAFT:
        messages.error(request, _("Only a draft can be changed; put it back to draft first."))
        return redirect("relations:campaign", pk=campaign.pk)
    form = CampaignForm(request.POST or None, instance=campaign, user=request.user)
    if request.method == "POST" and form.is_valid():
        row = form.save(commit=False)
        if campaign is None:
            row.owner = request.user
        row.save()
        messages.success(request, _("Campaign saved as a draft. Check the preview below."))
        return redirect("relations:campaign", pk=row.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "relations/campaigns/edit.html",
        {"form": form, "campaign": campaign},
        status=status,
    )


@staff_required
def campaign_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    now = timezone.now()
    preview = None
    if campaign.status in (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED):
        preview = campaign_preview(campaign, as_of=timezone.localdate(now), viewer=campaign.owner)
    return render(
        request,
        "relations/campaigns/detail.html",
        {
            "campaign": campaign,
            "preview": preview,
            "schedule_form": ScheduleForm.initial_for(now),
            "events": campaign.events.select_related("actor").order_by("at", "id"),
        },
    )


@require_POST
@staff_required
def campaign_schedule_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose when to send it."))
        return redirect("relations:campaign", pk=pk)
    try:
        campaign_schedule(campaign, at=form.cleaned_data["at"], by=request.user, now=timezone.now())
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Scheduled for %(at)s.")
            % {"at": timezone.localtime(form.cleaned_data["at"]).strftime("%Y-%m-%d %H:%M")},
        )
    return redirect("relations:campaign", pk=pk)


@require_POST
@staff_required
def campaign_unschedule_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    try:
        campaign_unschedule(_campaign(request, pk), by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Back to draft: it will not be sent until scheduled again."))
    return redirect("relations:campaign", pk=pk)


@require_POST
@staff_required
def campaign_cancel_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    try:
        campaign_cancel(_campaign(request, pk), by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Campaign cancelled."))
    return redirect("relations:campaign", pk=pk)


@staff_required
def campaign_report_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    return render(
        request,
        "relations/campaigns/report.html",
        {"campaign": campaign, "report": campaign_report(campaign)},
    )
