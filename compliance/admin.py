"""Admin of the compliance rules: jurisdictions, versioned rule sets, contract snapshots.

Rule sets are edited here and validated by RuleSet.clean (windows, dates that do not
overlap another version, a cited source). A rule set that a contract was signed under
cannot be deleted (the admin says which contracts protect it); close it with an end date
and add a new version instead (docs/compliance.md, "Versioning").
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import ContractRules, ContractRuleSet, DeliveryProof, Jurisdiction, RuleSet


class RuleSetForm(forms.ModelForm):
    delivered_notice_channels = forms.MultipleChoiceField(
        label=_("proofs that count as a delivered notice"),
        choices=DeliveryProof.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("A notice counts as delivered only with one of these proofs."),
    )

    class Meta:
        model = RuleSet
        fields = [f.name for f in RuleSet._meta.get_fields() if getattr(f, "editable", False)]
        widgets = {
            "source_citation": forms.Textarea(attrs={"rows": 4}),
            "notes": forms.Textarea(attrs={"rows": 4}),
        }

    def clean_delivered_notice_channels(self) -> list[str]:
        # Stored in the order of DeliveryProof, whatever order the boxes came in.
        chosen = set(self.cleaned_data.get("delivered_notice_channels") or [])
        return [p.value for p in DeliveryProof if p.value in chosen]


class RuleSetInline(admin.TabularInline):
    model = RuleSet
    fields = ["version", "effective_from", "effective_to", "awaiting_commencement"]
    readonly_fields = ["version", "effective_from", "effective_to", "awaiting_commencement"]
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Jurisdiction)
class JurisdictionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "parent"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]
    inlines = [RuleSetInline]


@admin.register(RuleSet)
class RuleSetAdmin(admin.ModelAdmin):
    form = RuleSetForm
    list_display = [
        "jurisdiction",
        "version",
        "effective_from",
        "effective_to",
        "awaiting_commencement",
        "commencement_date",
    ]
    list_filter = ["jurisdiction", "awaiting_commencement"]
    list_select_related = ["jurisdiction"]
    search_fields = ["jurisdiction__code", "jurisdiction__name", "source_citation", "notes"]
    autocomplete_fields = ["jurisdiction"]
    ordering = ["jurisdiction__code", "-effective_from"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "jurisdiction",
                    "version",
                    ("effective_from", "effective_to"),
                    ("commencement_date", "awaiting_commencement"),
                ]
            },
        ),
        (
            _("Automatic-renewal notice"),
            {
                "fields": [
                    ("notice_min", "notice_max", "notice_unit"),
                    "window_anchor",
                    "applies_to_terms_of_at_least_months",
                    "delivered_notice_channels",
                    "free_termination_if_not_notified",
                ]
            },
        ),
        (
            _("Price changes"),
            {
                "fields": [
                    ("price_change_notice_min_days", "price_change_notice_max_days"),
                    "price_change_threshold_percent",
                ]
            },
        ),
        (
            _("Cancellation, withdrawal and undo"),
            {
                "fields": [
                    "requires_online_cancellation",
                    "requires_cancel_button",
                    ("renew_into_open_ended", "open_ended_notice_months"),
                    ("withdrawal_days", "requires_withdrawal_function"),
                    "undo_window_days",
                ]
            },
        ),
        (
            _("Consent and disclosure"),
            {"fields": ["consent_retention_years", "prominent_disclosure_required"]},
        ),
        (_("Source"), {"fields": ["source_citation", "notes"]}),
    ]


class ContractRuleSetInline(admin.TabularInline):
    model = ContractRuleSet
    fields = ["ruleset"]
    readonly_fields = ["ruleset"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ContractRules)
class ContractRulesAdmin(admin.ModelAdmin):
    """What applied to each contract: evidence, so view only."""

    list_display = ["contract", "country", "region", "resolved_on", "captured_at"]
    list_filter = ["country"]
    search_fields = ["contract__number", "contract__customer__code"]
    list_select_related = ["contract"]
    readonly_fields = ["contract", "country", "region", "resolved_on", "captured_at"]
    inlines = [ContractRuleSetInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
