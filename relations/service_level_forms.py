"""Forms of the service-level pages: an indicator on a quote, a measured value, a claim's
decision (staff) and a claim (portal). Rules beyond the field types are the services'
(relations.service_levels, relations.compensation_claims): a refusal comes back as a
DomainError and is shown on the form."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .service_level_models import CompensationRule, Direction, IndicatorKind, MeasurePeriod
from .service_levels import IndicatorSpec
from .service_periods import Period


class IndicatorForm(forms.Form):
    kind = forms.ChoiceField(label=_("Indicator"), choices=IndicatorKind.choices)
    name = forms.CharField(label=_("Name (for another indicator)"), max_length=120, required=False)
    unit = forms.CharField(label=_("Unit (for another indicator)"), max_length=20, required=False)
    direction = forms.ChoiceField(
        label=_("Met when the value is (for another indicator)"),
        choices=[("", "—"), *Direction.choices],
        required=False,
    )
    target = forms.DecimalField(label=_("Target"), max_digits=15, decimal_places=3)
    period = forms.ChoiceField(label=_("Measured"), choices=MeasurePeriod.choices)
    compensation_rule = forms.ChoiceField(
        label=_("Compensation per breach"), choices=CompensationRule.choices
    )
    compensation_value = forms.DecimalField(
        label=_("Percent of the period's fee, or amount"), max_digits=14, decimal_places=2
    )
    compensation_cap = forms.DecimalField(
        label=_("Cap over the contract term (amount)"), max_digits=14, decimal_places=2
    )

    def spec(self) -> IndicatorSpec:
        data = self.cleaned_data
        return IndicatorSpec(
            kind=data["kind"],
            name=data["name"],
            unit=data["unit"],
            direction=data["direction"],
            target=data["target"],
            period=data["period"],
            compensation_rule=data["compensation_rule"],
            compensation_value=data["compensation_value"],
            compensation_cap=data["compensation_cap"],
        )


class MeasurementForm(forms.Form):
    period_start = forms.TypedChoiceField(label=_("Period"), choices=[])
    value = forms.DecimalField(label=_("Measured value"), max_digits=15, decimal_places=3)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args: Any, periods: list[Period], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["period_start"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(p.start.isoformat(), p.label) for p in periods]


class ClaimApproveForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount to credit"), max_digits=14, decimal_places=2, min_value=Decimal("0.01")
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class ClaimRejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason for the customer"), max_length=500)


class ClaimFileForm(forms.Form):
    reason = forms.CharField(
        label=_("What happened"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
