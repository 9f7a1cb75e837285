from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence

from django import forms
from django.utils.translation import gettext_lazy as _

from core.widgets import FastSelect
from customers.models import Tier

from .models import ContactChannel, Kind, Reason, RetentionOffer


def new_submission_token() -> str:
    return secrets.token_urlsafe(24)


class CancelForm(forms.Form):
    """The portal's cancel form. ``token`` makes a double-posted form one request."""

    kind = forms.ChoiceField(
        label=_("How do you want to end the contract?"),
        choices=Kind.choices,
        widget=forms.RadioSelect,
    )
    reason = forms.ChoiceField(
        label=_("Main reason"), choices=[("", _("Choose a reason"))] + list(Reason.choices)
    )
    reason_text = forms.CharField(
        label=_("Anything you want to tell us (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    token = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)

    def __init__(self, *args, available_kinds: Sequence[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if available_kinds is not None:
            kind_field = self.fields["kind"]
            assert isinstance(kind_field, forms.ChoiceField)
            kind_field.choices = [c for c in Kind.choices if c[0] in available_kinds]
        self.fields["reason"].widget.attrs["class"] = "form-select"
        self.fields["reason_text"].widget.attrs["class"] = "form-control"


class OfferAnswerForm(forms.Form):
    """The offer the customer accepts: only the one they were shown counts."""

    offer = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class ConfirmForm(forms.Form):
    """Staff's effective date, within what the policy allows (``earliest``..``latest``).

    When the range is a single day there is nothing to choose: the date is shown as text
    and travels in a hidden field (a date input would invite picking a day that is
    refused).
    """

    effective_date = forms.DateField(
        label=_("Effective date"),
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"),
        help_text=_(
            "The first day without the contract; the day before is the last day of service."
        ),
    )

    def __init__(
        self,
        *args,
        earliest: dt.date | None = None,
        latest: dt.date | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.earliest, self.latest = earliest, latest
        field = self.fields["effective_date"]
        if self.single_day:
            field.widget = forms.HiddenInput()
        elif earliest and latest:
            field.widget.attrs.update(min=earliest.isoformat(), max=latest.isoformat())

    @property
    def single_day(self) -> bool:
        return self.earliest is not None and self.earliest == self.latest

    def clean_effective_date(self) -> dt.date:
        day = self.cleaned_data["effective_date"]
        if self.earliest and self.latest and not self.earliest <= day <= self.latest:
            if self.single_day:
                raise forms.ValidationError(
                    _("The effective date can only be %(date)s."),
                    params={"date": self.earliest.isoformat()},
                    code="out_of_range",
                )
            raise forms.ValidationError(
                _("Choose a date between %(earliest)s and %(latest)s."),
                params={"earliest": self.earliest.isoformat(), "latest": self.latest.isoformat()},
                code="out_of_range",
            )
        return day


class RejectForm(forms.Form):
    note = forms.CharField(
        label=_("Why is this request invalid?"),
        max_length=300,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )


class ContactLogForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=ContactChannel.choices,
        widget=FastSelect(attrs={"class": "form-select"}),
    )
    summary = forms.CharField(
        label=_("What was said"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )


class OfferMakeForm(forms.Form):
    offer = forms.ModelChoiceField(
        label=_("Offer"),
        queryset=RetentionOffer.objects.none(),
        widget=FastSelect(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, offers=None, **kwargs):
        super().__init__(*args, **kwargs)
        if offers is not None:
            self.fields["offer"].queryset = offers


class RetentionOfferAdminForm(forms.ModelForm):
    """Reasons and tiers as check boxes; an empty choice means "any"."""

    reasons = forms.MultipleChoiceField(
        label=_("Targeted reasons"),
        choices=Reason.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave empty to target every reason."),
    )
    tiers = forms.MultipleChoiceField(
        label=_("Targeted tiers"),
        choices=Tier.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave empty to target every tier."),
    )

    class Meta:
        model = RetentionOffer
        fields = [
            "code",
            "title",
            "description",
            "kind",
            "discount_percent",
            "terms_count",
            "months",
            "downgrade_plan",
            "installments",
            "added_service",
            "reasons",
            "tiers",
            "valid_from",
            "valid_until",
            "priority",
            "is_active",
        ]

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == "discount" and not data.get("discount_percent"):
            self.add_error("discount_percent", _("A discount offer needs a percentage."))
        if kind in ("free_months", "pause") and not data.get("months"):
            self.add_error("months", _("Give the number of months."))
        if kind == "downgrade" and not data.get("downgrade_plan"):
            self.add_error("downgrade_plan", _("Choose the plan to downgrade to."))
        if kind == "installments" and (data.get("installments") or 0) < 2:
            self.add_error("installments", _("An installment plan needs at least 2 installments."))
        if kind == "added_service" and not data.get("added_service"):
            self.add_error("added_service", _("Describe the added service."))
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and end < start:
            self.add_error("valid_until", _("The end of validity must not be before its start."))
        return data
