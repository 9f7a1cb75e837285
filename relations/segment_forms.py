"""The segment builder's form: one field per criterion, checked by
``relations.segment_criteria`` (the same validation as the stored JSON), so a bad value
is an error beside its field, in the user's language."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from contracts.models import Plan
from contracts.term_length import TermClass
from customers.country_codes import COUNTRIES, REGIONS
from customers.models import Tier

from .segment_criteria import (
    MAX_NOT_CONTACTED_DAYS,
    MAX_RENEWAL_DAYS,
    PropensityBand,
    SegmentCriteria,
    TagMatch,
)
from .segment_models import Segment

CHECKBOXES = forms.CheckboxSelectMultiple


def _split(text: str) -> list[str]:
    return [p.strip() for p in text.replace("，", ",").split(",") if p.strip()]


class SegmentForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120, required=False)
    shared = forms.BooleanField(
        label=_("Share with colleagues"),
        required=False,
        help_text=_("Each colleague sees only the customers in their own book."),
    )
    tiers = forms.MultipleChoiceField(
        label=_("Tier"), choices=Tier.choices, required=False, widget=CHECKBOXES
    )
    term = forms.ChoiceField(label=_("Term length"), required=False)
    tags = forms.CharField(
        label=_("Tags"),
        max_length=500,
        required=False,
        help_text=_("Separate tags with commas."),
    )
    tags_match = forms.ChoiceField(
        label=_("Customers with"),
        choices=TagMatch.choices,
        initial=TagMatch.ANY,
        required=False,
        widget=forms.RadioSelect,
    )
    countries = forms.MultipleChoiceField(
        label=_("Country"), choices=[], required=False, widget=forms.SelectMultiple
    )
    regions = forms.MultipleChoiceField(
        label=_("Region"), choices=[], required=False, widget=forms.SelectMultiple
    )
    renewal_within_days = forms.IntegerField(
        label=_("Contract ending within (days)"),
        min_value=1,
        max_value=MAX_RENEWAL_DAYS,
        required=False,
    )
    propensity_bands = forms.MultipleChoiceField(
        label=_("Renewal propensity"),
        choices=PropensityBand.choices,
        required=False,
        widget=CHECKBOXES,
        help_text=_("Scored for active contracts ending within 120 days."),
    )
    not_contacted_days = forms.IntegerField(
        label=_("Not contacted in (days)"),
        min_value=1,
        max_value=MAX_NOT_CONTACTED_DAYS,
        required=False,
    )
    plans = forms.ModelMultipleChoiceField(
        label=_("Product"),
        queryset=Plan.objects.none(),
        required=False,
        widget=forms.SelectMultiple,
    )

    def __init__(self, *args: Any, for_saving: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.for_saving = for_saving
        # Evaluated per request: the threshold is a setting, the names are translated.
        self.fields["term"].choices = [("", _("Any term")), *TermClass.choices()]  # type: ignore[attr-defined]
        self.fields["countries"].choices = sorted(  # type: ignore[attr-defined]
            COUNTRIES.items(), key=lambda c: str(c[1])
        )
        self.fields["regions"].choices = sorted(  # type: ignore[attr-defined]
            REGIONS.items(), key=lambda c: str(c[1])
        )
        self.fields["plans"].queryset = Plan.objects.order_by("code")  # type: ignore[attr-defined]

    @classmethod
    def initial_for(cls, segment: Segment) -> dict[str, Any]:
        """The form's initial values from a saved segment."""
        data: dict[str, Any] = {"name": segment.name, "shared": segment.shared}
        data.update(segment.criteria)
        data.pop("version", None)
        data["tags"] = ", ".join(data.get("tags") or [])
        return data

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        raw = {
            "tiers": cleaned.get("tiers") or [],
            "term": cleaned.get("term") or "",
            "tags": _split(cleaned.get("tags") or ""),
            "tags_match": cleaned.get("tags_match") or TagMatch.ANY,
            "countries": cleaned.get("countries") or [],
            "regions": cleaned.get("regions") or [],
            "renewal_within_days": cleaned.get("renewal_within_days"),
            "propensity_bands": cleaned.get("propensity_bands") or [],
            "not_contacted_days": cleaned.get("not_contacted_days"),
            "plans": [p.pk for p in cleaned.get("plans") or []],
        }
        try:
            self.criteria = SegmentCriteria.from_json(raw)
        except ValidationError as exc:
            for field, messages in getattr(exc, "message_dict", {"__all__": exc.messages}).items():
                for message in messages:
                    self.add_error(None if field == "__all__" else field, message)
            return cleaned
        if self.criteria.is_empty:
            self.add_error(None, _("Choose at least one criterion."))
        if self.for_saving and not (cleaned.get("name") or "").strip():
            self.add_error("name", _("Give the segment a name."))
        return cleaned
