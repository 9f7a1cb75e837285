"""Admin for feedback: staff read the request, reply, and move its status via services."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from insights.models import Feedback, FeedbackEvent, FeedbackReply, FeedbackStatus

from . import services


class FeedbackReplyInline(admin.TabularInline):
    model = FeedbackReply
    extra = 0
    can_delete = False
    fields = ("created_at", "from_staff", "author", "body")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class FeedbackEventInline(admin.TabularInline):
    model = FeedbackEvent
    extra = 0
    can_delete = False
    fields = ("at", "actor", "from_status", "to_status", "note")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class FeedbackAdminForm(forms.ModelForm):
    staff_reply = forms.CharField(
        label=_("Reply to the customer"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Shown to the customer in the portal. The first reply sets it in progress."),
    )

    class Meta:
        model = Feedback
        fields = ("category", "severity", "subject", "body", "contract")


def _status_action(to: str, label):
    def action(modeladmin, request, queryset):
        done = 0
        for item in queryset:
            try:
                services.feedback_set_status(feedback=item, to=to, by=request.user)
                done += 1
            except DomainError as exc:
                modeladmin.message_user(
                    request, f"{item.reference}: {exc.message}", level=messages.WARNING
                )
        if done:
            modeladmin.message_user(request, _("%(n)d updated.") % {"n": done})

    action.__name__ = f"mark_{to}"
    return admin.action(description=label)(action)


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    form = FeedbackAdminForm
    list_display = (
        "reference",
        "subject",
        "customer",
        "category",
        "severity",
        "status",
        "sla_due_at",
        "first_response_at",
        "created_at",
    )
    list_filter = ("status", "category", "severity", "channel")
    search_fields = ("subject", "body", "customer__name", "customer__code", "contract__number")
    raw_id_fields = ("contract",)
    readonly_fields = (
        "customer",
        "submitted_by",
        "channel",
        "status",
        "sla_due_at",
        "first_response_at",
        "resolved_at",
        "closed_at",
        "created_at",
    )
    fieldsets = (
        (None, {"fields": ("customer", "contract", "category", "severity", "subject", "body")}),
        (
            _("Status"),
            {
                "fields": (
                    "status",
                    "sla_due_at",
                    "first_response_at",
                    "resolved_at",
                    "closed_at",
                    "submitted_by",
                    "channel",
                    "created_at",
                )
            },
        ),
        (_("Reply"), {"fields": ("staff_reply",)}),
    )
    inlines = [FeedbackReplyInline, FeedbackEventInline]
    list_select_related = ("customer",)
    actions = [
        _status_action(FeedbackStatus.IN_PROGRESS, _("Mark in progress")),
        _status_action(FeedbackStatus.RESOLVED, _("Mark resolved")),
        _status_action(FeedbackStatus.CLOSED, _("Close")),
    ]

    def has_add_permission(self, request):
        # Feedback is submitted from the portal (or by staff on behalf, in the staff UI).
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        reply = form.cleaned_data.get("staff_reply", "").strip()
        if reply:
            try:
                services.feedback_reply_add(
                    feedback=obj, by=request.user, body=reply, from_staff=True
                )
            except DomainError as exc:
                self.message_user(request, exc.message, level=messages.ERROR)
