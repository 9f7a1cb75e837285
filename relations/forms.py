"""Forms of the relations pages: the due-contact filters, logging or skipping a planned
contact, and a team lead's reassignment and a task's outcome."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.models import User
from core.widgets import FastSelect

from .models import CadenceUnit, ContactKind
from .selectors import ContactFilters
from .teams import TeamScope


class ContactFilterForm(forms.Form):
    # Bootstrap classes as on the other staff filter bars (customers, contracts, losses).
    manager = forms.ModelChoiceField(
        label=_("Account manager"),
        queryset=User.objects.none(),
        required=False,
        widget=FastSelect(attrs={"class": "form-select"}),
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[("", _("Any kind")), *ContactKind.choices],
        required=False,
        widget=FastSelect(attrs={"class": "form-select"}),
    )
    not_contacted = forms.IntegerField(
        label=_("Not contacted in (days)"),
        min_value=1,
        max_value=3650,
        required=False,
        widget=forms.NumberInput(attrs={"class": "form-control"}),
    )

    def __init__(self, *args: Any, scope: TeamScope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.can_filter_by_manager = scope.is_lead
        # The stubs type fields as Field, which has no queryset; this one is a ModelChoiceField.
        self.fields["manager"].queryset = scope.staff()  # type: ignore[attr-defined]
        if not scope.is_lead:
            del self.fields["manager"]

    def to_filters(self) -> ContactFilters:
        if not self.is_valid():
            return ContactFilters()
        manager = self.cleaned_data.get("manager")
        return ContactFilters(
            manager_id=manager.pk if manager else None,
            kind=self.cleaned_data.get("kind") or "",
            not_contacted_days=self.cleaned_data.get("not_contacted"),
        )


class ContactLogForm(forms.Form):
    at = forms.DateTimeField(
        label=_("When"),
        required=False,
        help_text=_("Leave empty for now."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    summary = forms.CharField(
        label=_("Summary"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Write a short summary.")},
    )


class ContactSkipForm(forms.Form):
    reason = forms.CharField(
        label=_("Why skip it?"),
        max_length=300,
        error_messages={"required": _("Say why this contact is skipped.")},
    )


class NotContactedForm(forms.Form):
    days = forms.IntegerField(
        label=_("Not contacted in (days)"), min_value=1, max_value=3650, required=False
    )


class TaskReassignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label=_("Give to"),
        queryset=User.objects.none(),
        error_messages={"invalid_choice": _("Choose a member of your team.")},
    )
    estimate_minutes = forms.IntegerField(
        label=_("Estimate (minutes)"), min_value=0, max_value=100000, required=False
    )

    def __init__(self, *args: Any, scope: TeamScope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # As above: a ModelChoiceField typed as Field by the stubs.
        self.fields["assignee"].queryset = scope.staff()  # type: ignore[attr-defined]


class TaskOutcomeForm(forms.Form):
    outcome = forms.CharField(
        label=_("Outcome"),
        max_length=2000,
        error_messages={"required": _("Write the outcome.")},
    )


class CustomerCadenceForm(forms.Form):
    """A customer's own cadence of one kind (the customer page's contact plan section).
    The limits are the model's; the messages say them in the user's language."""

    every = forms.IntegerField(
        label=_("Every"),
        min_value=1,
        max_value=3650,
        error_messages={
            "required": _("Say how often: every how many days or months."),
            "invalid": _("Enter a whole number."),
            "min_value": _("Enter a number from 1 to 3650."),
            "max_value": _("Enter a number from 1 to 3650."),
        },
        widget=forms.NumberInput(attrs={"class": "form-control", "inputmode": "numeric"}),
    )
    unit = forms.ChoiceField(
        label=_("Unit"),
        choices=CadenceUnit.choices,
        error_messages={"invalid_choice": _("Choose days or months.")},
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    lead_days = forms.IntegerField(
        label=_("Planned ahead (days)"),
        min_value=0,
        max_value=365,
        initial=14,
        error_messages={
            "required": _("Say how many days ahead the contact is planned."),
            "invalid": _("Enter a whole number."),
            "min_value": _("Enter a number of days from 0 to 365."),
            "max_value": _("Enter a number of days from 0 to 365."),
        },
        widget=forms.NumberInput(attrs={"class": "form-control", "inputmode": "numeric"}),
    )
    estimate_minutes = forms.IntegerField(
        label=_("Estimate (minutes)"),
        required=False,
        min_value=0,
        max_value=100000,
        error_messages={
            "invalid": _("Enter a whole number."),
            "min_value": _("Enter a number of minutes from 0 to 100000."),
            "max_value": _("Enter a number of minutes from 0 to 100000."),
        },
        widget=forms.NumberInput(attrs={"class": "form-control", "inputmode": "numeric"}),
    )
    switched_off = forms.BooleanField(
        label=_("No contacts of this kind for this customer"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    @classmethod
    def for_row(cls, row: Any, *, prefix: str) -> CustomerCadenceForm:
        """Filled with the customer's row, else the tier's (a starting point), else empty."""
        if row is None:
            return cls(prefix=prefix)
        return cls(
            prefix=prefix,
            initial={
                "every": row.every,
                "unit": row.unit,
                "lead_days": row.lead_days,
                "estimate_minutes": row.estimate_minutes,
                "switched_off": row.customer_id is not None and not row.active,
            },
        )
