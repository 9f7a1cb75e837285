"""Forms of the insights pages. GET filters never raise: a bad value is dropped."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contracts.forms import ManagerFilterMixin, StaffUserChoiceField, staff_users
from contracts.models import Plan
from core.widgets import FastSelect
from customers.models import Tier

from .models import FeedbackStatus, InteractionKind
from .selectors import DashboardFilters


class DashboardFilterForm(ManagerFilterMixin, forms.Form):
    manager = StaffUserChoiceField(
        label=_("Account manager"),
        required=False,
        queryset=staff_users(),
        empty_label=_("All managers"),
        widget=FastSelect(attrs={"class": "form-select js-autosubmit"}),
    )
    tier = forms.ChoiceField(
        label=_("Tier"),
        required=False,
        choices=[("", _("All tiers")), *Tier.choices],
        widget=FastSelect(attrs={"class": "form-select js-autosubmit"}),
    )
    plan = forms.ModelChoiceField(
        label=_("Plan"),
        required=False,
        queryset=Plan.objects.order_by("code"),
        empty_label=_("All plans"),
        widget=FastSelect(attrs={"class": "form-select js-autosubmit"}),
    )

    def to_filters(self) -> DashboardFilters:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        manager = data.get("manager")
        plan = data.get("plan")
        return DashboardFilters(
            manager_id=manager.pk if manager else None,
            tier=data.get("tier") or "",
            plan_id=plan.pk if plan else None,
        )


class InteractionForm(forms.Form):
    """A contact that took place: its time cannot be in the future (that is a follow-up
    to plan), its summary cannot be blank, its follow-up cannot be in the past."""

    kind = forms.ChoiceField(label=_("Kind"), choices=InteractionKind.choices)
    at = forms.DateTimeField(
        label=_("When"),
        required=False,
        help_text=_("Leave empty for now."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    summary = forms.CharField(
        label=_("Summary"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Write a short summary.")},
    )
    next_follow_up = forms.DateField(
        label=_("Next follow-up"),
        required=False,
        help_text=_("Creates a task for the account manager on that day."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean_at(self) -> dt.datetime | None:
        at = self.cleaned_data.get("at")
        if at is not None and at > timezone.now():
            raise forms.ValidationError(
                _(
                    "A contact cannot be logged before it happens. To plan one, "
                    "set the next follow-up instead."
                )
            )
        return at

    def clean_next_follow_up(self) -> dt.date | None:
        day = self.cleaned_data.get("next_follow_up")
        if day is not None and day < timezone.localdate():
            raise forms.ValidationError(_("The next follow-up cannot be in the past."))
        return day


class FeedbackAssignForm(forms.Form):
    assignee = StaffUserChoiceField(
        label=_("Assign to"),
        queryset=staff_users(),
        widget=FastSelect(attrs={"class": "form-select"}),
    )


class FeedbackReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Reply to the customer"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The customer sees this reply in the portal."),
    )


class FeedbackStatusForm(forms.Form):
    to = forms.ChoiceField(
        choices=[
            (FeedbackStatus.IN_PROGRESS, _("Reopen")),
            (FeedbackStatus.RESOLVED, _("Mark resolved")),
            (FeedbackStatus.CLOSED, _("Close")),
        ]
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=300)
