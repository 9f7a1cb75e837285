"""Forms of the loyalty pages: the portal's referral invitation and the staff's points
adjustment and referral link."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class BootstrapForm(forms.Form):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control")


class ReferralForm(BootstrapForm):
    contact_name = forms.CharField(label=_("Their name"), max_length=100)
    contact_email = forms.EmailField(label=_("Their e-mail address"))
    contact_phone = forms.CharField(
        label=_("Their phone (optional)"), max_length=40, required=False
    )
    company = forms.CharField(label=_("Company (optional)"), max_length=200, required=False)


class AdjustForm(BootstrapForm):
    points = forms.IntegerField(
        label=_("Points"),
        min_value=-1_000_000,
        max_value=1_000_000,
        help_text=_("Positive to add points, negative to remove them."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=300)

    def clean_points(self) -> int:
        points = self.cleaned_data["points"]
        if points == 0:
            raise forms.ValidationError(_("An adjustment must add or remove points."))
        return points


class ReferralLinkForm(BootstrapForm):
    code = forms.CharField(label=_("Referral code"), max_length=32)
