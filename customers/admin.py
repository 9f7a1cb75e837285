from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from contracts.customer_tiers import customer_tiers_recompute
from contracts.exports import consents_csv_response
from contracts.models import AutoRenewConsent
from core.errors import DomainError

from .models import Contact, Customer, PortalAccount, TierSettings
from .services import (
    CUSTOMER_FIELDS,
    contact_save,
    customer_create,
    customer_set_tier_override,
    customer_update,
)

CONTACT_FIELDS = ("name", "email", "phone", "role", "is_primary")


class ContactInlineFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        primaries = [
            f
            for f in self.forms
            if getattr(f, "cleaned_data", None)
            and not f.cleaned_data.get("DELETE")
            and f.cleaned_data.get("is_primary")
        ]
        if len(primaries) > 1:
            raise ValidationError(_("Only one contact can be the primary contact."))


class ContactInline(admin.TabularInline):
    model = Contact
    formset = ContactInlineFormSet
    fields = CONTACT_FIELDS
    extra = 0


class PortalAccountInline(admin.TabularInline):
    model = PortalAccount
    fields = ("user", "created_at")
    readonly_fields = ("created_at",)
    raw_id_fields = ("user",)
    extra = 0


class CustomerAdminForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = (*sorted(CUSTOMER_FIELDS), "tier_override", "tier_override_reason")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("tier_override") and not (cleaned.get("tier_override_reason") or "").strip():
            self.add_error("tier_override_reason", _("Give a reason for overriding the tier."))
        return cleaned


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    form = CustomerAdminForm
    list_display = (
        "code",
        "name",
        "kind",
        "account_manager",
        "tier",
        "tier_override",
        "language",
        "created_at",
    )
    list_filter = ("kind", "tier", "tier_override", "language", "account_manager", "care_messages")
    list_select_related = ("account_manager",)
    search_fields = ("code", "name", "tags", "contacts__name", "contacts__email", "contacts__phone")
    autocomplete_fields = ("account_manager",)
    readonly_fields = ("tier", "tier_override_by", "tier_override_at", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("code", "name", "kind", "account_manager", "language", "tags")}),
        (
            _("Tier"),
            {
                "fields": (
                    "tier",
                    "tier_override",
                    "tier_override_reason",
                    "tier_override_by",
                    "tier_override_at",
                )
            },
        ),
        (
            _("Notifications and care"),
            {
                "fields": (
                    "notify_email",
                    "notify_sms",
                    "notify_in_app",
                    "care_messages",
                    "birthday",
                    "founded_on",
                )
            },
        ),
        (_("Notes"), {"fields": ("notes", "created_at", "updated_at")}),
    )
    inlines = [ContactInline, PortalAccountInline]
    actions = ["export_consents", "clear_tier_override"]

    def save_model(self, request, obj, form, change):
        """Writes go through the customer services, so the override keeps who and why."""
        data = form.cleaned_data
        override = (data.get("tier_override") or "", data.get("tier_override_reason") or "")
        if change:
            previous = Customer.objects.get(pk=obj.pk)
            obj.tier_override = previous.tier_override
            obj.tier_override_reason = previous.tier_override_reason
            fields = {name: data[name] for name in form.changed_data if name in CUSTOMER_FIELDS}
            customer_update(customer=obj, by=request.user, **fields)
            changed_override = override != (previous.tier_override, previous.tier_override_reason)
        else:
            created = customer_create(
                by=request.user, **{name: data[name] for name in CUSTOMER_FIELDS if name in data}
            )
            # The admin keeps working with its own instance (inlines hang off it).
            obj.pk = created.pk
            obj._state.adding = False
            obj._state.db = created._state.db
            obj.created_at, obj.updated_at = created.created_at, created.updated_at
            changed_override = bool(override[0])
        if changed_override:
            customer_set_tier_override(
                customer=obj, by=request.user, tier=override[0], reason=override[1]
            )

    def save_formset(self, request, form, formset, change):
        if formset.model is Contact:
            # One primary per customer is a database constraint: demote the old primary
            # before the new one is saved.
            keep = [
                f.instance.pk
                for f in formset.forms
                if getattr(f, "cleaned_data", None)
                and f.cleaned_data.get("is_primary")
                and not f.cleaned_data.get("DELETE")
                and f.instance.pk
            ]
            Contact.objects.filter(customer=form.instance, is_primary=True).exclude(
                pk__in=keep
            ).update(is_primary=False)
        super().save_formset(request, form, formset, change)

    @admin.action(description=_("Export the auto-renew consents of the selected customers (CSV)"))
    def export_consents(self, request, queryset):
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        return consents_csv_response(
            consents=AutoRenewConsent.objects.filter(customer__in=queryset),
            filename=f"auto-renew-consents-{stamp}.csv",
        )

    @admin.action(description=_("Clear the manual tier override"))
    def clear_tier_override(self, request, queryset):
        cleared = 0
        for customer in queryset.exclude(tier_override=""):
            try:
                customer_set_tier_override(customer=customer, by=request.user, tier="", reason="")
                cleared += 1
            except DomainError as exc:
                self.message_user(request, f"{customer}: {exc.message}", level=messages.WARNING)
        self.message_user(
            request,
            ngettext(
                "Tier override cleared for %(n)d customer.",
                "Tier override cleared for %(n)d customers.",
                cleared,
            )
            % {"n": cleared},
        )


class ContactAdminForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ("customer", *CONTACT_FIELDS)

    def _get_validation_exclusions(self):
        # Making this contact primary is allowed while another one still is: contact_save
        # demotes the other one in the same transaction, so the one-primary constraint is
        # not checked against the database state before the save.
        exclude = super()._get_validation_exclusions()
        exclude.add("customer")
        return exclude


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    form = ContactAdminForm
    list_display = ("name", "customer", "email", "phone", "role", "is_primary")
    list_filter = ("is_primary", "role")
    list_select_related = ("customer",)
    search_fields = ("name", "email", "phone", "customer__code", "customer__name")
    raw_id_fields = ("customer",)
    fields = ("customer", *CONTACT_FIELDS)

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in CONTACT_FIELDS}
        saved = contact_save(
            customer=form.cleaned_data["customer"],
            by=request.user,
            contact=obj if change else None,
            **fields,
        )
        obj.pk = saved.pk
        obj._state.adding = False
        obj._state.db = saved._state.db


@admin.register(PortalAccount)
class PortalAccountAdmin(admin.ModelAdmin):
    list_display = ("user", "customer", "created_at")
    list_select_related = ("user", "customer")
    search_fields = (
        "user__username",
        "user__email",
        "user__first_name",
        "user__last_name",
        "customer__code",
        "customer__name",
    )
    list_filter = ("created_at",)
    raw_id_fields = ("user", "customer")


@admin.register(TierSettings)
class TierSettingsAdmin(admin.ModelAdmin):
    """One row of thresholds. Saving it recomputes every tier at once."""

    list_display = ("__str__", "a_min", "b_min", "fx_rates", "updated_at", "last_recomputed_at")
    readonly_fields = ("updated_at", "last_recomputed_at")
    actions = ["recompute_tiers"]

    def has_add_permission(self, request):
        return not TierSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if not change:
            obj.pk = 1
        super().save_model(request, obj, form, change)
        self._recompute(request)

    @admin.action(description=_("Recompute every customer's tier now"))
    def recompute_tiers(self, request, queryset):
        self._recompute(request)

    def _recompute(self, request):
        result = customer_tiers_recompute(as_of=timezone.localdate())
        self.message_user(
            request,
            _("Tiers recomputed: %(changed)d changed; now A %(a)d, B %(b)d, C %(c)d.")
            % {
                "changed": result.changed,
                "a": result.counts["A"],
                "b": result.counts["B"],
                "c": result.counts["C"],
            },
        )
        if result.skipped_currencies:
            self.message_user(
                request,
                _("Contracts in %(currencies)s were left out: add their exchange rates.")
                % {"currencies": ", ".join(result.skipped_currencies)},
                level=messages.WARNING,
            )
