"""Forms of the campaign pages: write a campaign (both languages), schedule it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError

from .campaign_models import Campaign
from .campaigns import link_url_valid, template_check
from .segments import segments_visible_to

TEMPLATE_HELP = _(
    "Placeholders: {{ customer_name }}, {{ customer_code }}, {{ manager_name }}, {{ link }} "
    "(the tracked link; without it the link comes below the text)."
)


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = [
            "name",
            "segment",
            "channel",
            "subject_zh_hans",
            "body_zh_hans",
            "subject_en",
            "body_en",
            "link_url",
            "renewal_window_days",
        ]
        widgets = {
            "body_zh_hans": forms.Textarea(attrs={"rows": 5}),
            "body_en": forms.Textarea(attrs={"rows": 5}),
        }
        help_texts = {"body_zh_hans": TEMPLATE_HELP, "body_en": TEMPLATE_HELP}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The stubs type fields as Field; this one is a ModelChoiceField.
        self.fields["segment"].queryset = segments_visible_to(user)  # type: ignore[attr-defined]

    def clean_link_url(self) -> str:
        value = (self.cleaned_data.get("link_url") or "").strip()
        if not link_url_valid(value):
            raise forms.ValidationError(
                _("Give a portal path starting with / or an https:// address.")
            )
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("subject_zh_hans", "body_zh_hans", "subject_en", "body_en"):
            try:
                template_check(data.get(name) or "")
            except DomainError as exc:
                self.add_error(name, exc.message)
        return data


class ScheduleForm(forms.Form):
    at = forms.DateTimeField(
        label=_("Send at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"required": _("Choose when to send it.")},
    )

    @classmethod
    def initial_for(cls, now: dt.datetime) -> ScheduleForm:
        local = timezone.localtime(now) + dt.timedelta(hours=1)
        return cls(initial={"at": local.replace(minute=0, second=0, microsecond=0)})
