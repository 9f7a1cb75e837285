from __future__ import annotations

from django.contrib import admin, messages
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from contracts.models import Contract, ContractStatus
from core.errors import DomainError

from .models import (
    FestivalDate,
    Message,
    MessageAttempt,
    MessageEvent,
    MessageStatus,
    MessageTemplate,
    PersonalOffer,
    ReminderRule,
    SmsTemplate,
)
from .reminders.rules import offsets_missing_notice_windows
from .reminders.schedule_state import reminder_schedule_recompute
from .rendering import _compile
from .services import message_retry


class MessageAttemptInline(admin.TabularInline):
    model = MessageAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["number", "at", "ok", "permanent", "error"]

    def has_add_permission(self, request, obj=None):
        return False


class MessageEventInline(admin.TabularInline):
    model = MessageEvent
    extra = 0
    can_delete = False
    fields = ["at", "kind", "from_status", "to_status", "actor", "payload"]
    readonly_fields = ["at", "kind", "from_status", "to_status", "actor", "payload"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(SmsTemplate)
class SmsTemplateAdmin(admin.ModelAdmin):
    """The templates and signatures each SMS provider approved, per message kind and
    language: an SMS on Aliyun or Tencent without one here fails with that error."""

    list_display = ["kind", "language", "provider", "template_code", "sign_name", "is_active"]
    list_filter = ["provider", "language", "is_active"]
    search_fields = ["kind", "template_code", "sign_name"]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "kind",
        "channel",
        "to_address",
        "contract",
        "status",
        "attempts",
        "late",
    ]
    list_filter = ["status", "channel", "provider", "kind", "late", "language"]
    search_fields = ["contract__number", "to_address", "dedupe_key", "customer__name"]
    raw_id_fields = ["customer", "user", "contract"]
    date_hierarchy = "created_at"
    inlines = [MessageAttemptInline, MessageEventInline]
    actions = ["send_again"]
    readonly_fields = [f.name for f in Message._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Send failed messages again"))
    def send_again(self, request, queryset):
        n = 0
        for message in queryset.filter(
            status__in=[MessageStatus.FAILED, MessageStatus.UNDELIVERED]
        ):
            try:
                message_retry(message=message, by=request.user)
                n += 1
            except DomainError as exc:
                self.message_user(request, exc.message, messages.WARNING)
        self.message_user(request, _("%(n)s message(s) queued again.") % {"n": n})


def _sample_context(template: MessageTemplate, contract: Contract | None) -> dict:
    from .reminders import reminder_context_for_contract

    if contract is not None:
        ctx = reminder_context_for_contract(contract=contract)
    else:
        ctx = {"contract_number": "HT-2026-000123", "customer_name": _("Sample customer")}
    ctx.setdefault("years", 1)
    ctx.setdefault("year", 2026)
    ctx.setdefault("link", "https://example.com/portal/login/link/…/")
    return ctx


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ["kind", "language", "channel", "is_active", "updated_at", "preview_link"]
    list_filter = ["kind", "language", "channel", "is_active"]
    search_fields = ["kind", "subject", "body_text"]

    @admin.display(description=_("Preview"))
    def preview_link(self, obj):
        url = reverse("admin:notifications_messagetemplate_preview", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Preview"))

    def get_urls(self):
        urls = [
            path(
                "<int:pk>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="notifications_messagetemplate_preview",
            )
        ]
        return urls + super().get_urls()

    def preview_view(self, request, pk: int):
        """Render the template on a sample contract (?contract=<id>, default: the next
        active contract to end). GET only renders; nothing is stored or sent."""
        template = get_object_or_404(MessageTemplate, pk=pk)
        if not self.has_view_permission(request, template):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        contract = None
        contract_id = request.GET.get("contract", "")
        if contract_id.isdigit():
            contract = Contract.objects.filter(pk=int(contract_id)).first()
        if contract is None:
            contract = (
                Contract.objects.filter(status=ContractStatus.ACTIVE).order_by("end_date").first()
                or Contract.objects.order_by("-id").first()
            )
        error = ""
        subject = text = html = ""
        try:
            compiled = _compile(template)
            from django.template import Context
            from django.utils import translation

            with translation.override(template.language):
                ctx = Context(_sample_context(template, contract))
                subject = compiled.subject.render(ctx)
                text = compiled.text.render(ctx)
                html = compiled.html.render(ctx) if compiled.html else ""
        except Exception as exc:  # noqa: BLE001 - show any template error to the admin
            error = f"{exc.__class__.__name__}: {exc}"
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": template,
            "title": _("Preview: %(t)s") % {"t": template},
            "contract": contract,
            "subject": subject,
            "text": text,
            "html": html,
            "error": error,
        }
        return render(request, "admin/notifications/messagetemplate_preview.html", context)


class ReminderScheduleRecomputeMixin:
    """Reminder rules decide every contract's reminder schedule: a change recomputes them
    (set-based, in the admin's transaction)."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        reminder_schedule_recompute()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        reminder_schedule_recompute()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        reminder_schedule_recompute()


@admin.register(ReminderRule)
class ReminderRuleAdmin(ReminderScheduleRecomputeMixin, admin.ModelAdmin):
    list_display = ["__str__", "plan", "tier", "offsets", "is_active"]
    list_filter = ["tier", "is_active"]
    raw_id_fields = ["plan"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # Not an error: the statutory sweep adds the notice these customers' rules require
        # (compliance rule sets, per customer place); staff should know it is not these.
        if not obj.is_active:
            return
        missed = offsets_missing_notice_windows(obj.offset_list, on=timezone.localdate())
        if missed:
            self.message_user(
                request,
                _(
                    "None of these offsets falls in the automatic-renewal notice window of "
                    "%(rules)s (for a one-year term): customers under those rules get an "
                    "extra statutory notice inside the window (Compliance, rule sets)."
                )
                % {"rules": ", ".join(missed)},
                messages.WARNING,
            )


@admin.register(PersonalOffer)
class PersonalOfferAdmin(admin.ModelAdmin):
    list_display = ["tier", "language", "title", "is_active"]
    list_filter = ["tier", "language", "is_active"]


@admin.register(FestivalDate)
class FestivalDateAdmin(admin.ModelAdmin):
    list_display = ["kind", "date"]
    list_filter = ["kind"]
