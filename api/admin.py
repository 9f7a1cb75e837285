from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import ApiToken, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .services import api_token_create, api_token_revoke
from .webhooks import WEBHOOK_EVENTS, webhook_delivery_resend, webhook_endpoint_save


class ApiTokenCreateForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["name", "user", "scope"]

    def clean_user(self) -> Any:
        user = self.cleaned_data["user"]
        if not (user.is_active and user.is_staff):
            raise forms.ValidationError(_("An API token must belong to an active staff user."))
        return user


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "scope", "prefix", "created_at", "last_used_at", "status"]
    list_filter = ["scope", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "user__username", "prefix"]
    actions = ["revoke"]
    readonly_fields = [
        "user",
        "scope",
        "prefix",
        "created_at",
        "created_by",
        "last_used_at",
        "revoked_at",
        "revoked_by",
    ]

    @admin.display(description=_("status"))
    def status(self, obj: ApiToken) -> str:
        return str(_("active")) if obj.is_active else str(_("revoked"))

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = ApiTokenCreateForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # On creation the user and scope are chosen; afterwards a token never changes
        # whom it acts as nor what it may do (create a new one instead).
        if obj is None:
            return []
        return self.readonly_fields

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if obj is None:
            return ("name", "user", "scope")
        return ("name", *self.readonly_fields)

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:
            obj.save(update_fields=["name"])
            return
        token, raw = api_token_create(
            user=form.cleaned_data["user"],
            name=form.cleaned_data["name"],
            scope=form.cleaned_data["scope"],
            by=request.user,
        )
        obj.pk = token.pk
        obj.refresh_from_db()
        # The only time the secret exists outside the client: show it once, now.
        self.message_user(
            request,
            format_html(
                "{} <code>{}</code>",
                _("Copy this token now; it will not be shown again:"),
                raw,
            ),
            messages.WARNING,
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoke instead: the token's history stays

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = 0
        for token in queryset.filter(revoked_at__isnull=True):
            api_token_revoke(token=token, by=request.user)
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", count)
            % {"count": count},
        )


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=_("events"),
        choices=[("*", _("All events"))] + [(k, v) for k, v in WEBHOOK_EVENTS.items()],
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "description", "events", "is_active", "secret"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ["url", "description", "is_active", "event_list", "created_at"]
    list_filter = ["is_active"]

    @admin.display(description=_("events"))
    def event_list(self, obj: WebhookEndpoint) -> str:
        return ", ".join(obj.events)

    def save_model(
        self, request: HttpRequest, obj: WebhookEndpoint, form: Any, change: bool
    ) -> None:
        webhook_endpoint_save(endpoint=obj)


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = ("number", "at", "status_code", "error", "response_excerpt", "duration_ms")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "event_type",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "delivered_at",
        "created_at",
    ]
    list_filter = ["status", "event_type", "endpoint"]
    search_fields = ["event_id"]
    date_hierarchy = "created_at"
    inlines = [WebhookAttemptInline]
    actions = ["resend"]
    readonly_fields = [
        "endpoint",
        "event_id",
        "event_type",
        "status",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "last_error",
        "delivered_at",
        "resent_from",
        "created_at",
        "body",
    ]
    exclude = ["claimed_until"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Resend the selected deliveries"))
    def resend(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        count = 0
        for delivery in queryset.select_related("endpoint"):
            webhook_delivery_resend(delivery=delivery)
            count += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d delivery queued again.", "%(count)d deliveries queued again.", count
            )
            % {"count": count},
        )
