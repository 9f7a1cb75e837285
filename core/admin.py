from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.errors import DomainError

from .models import Document, Sequence, Task, User
from .services import task_complete, task_create

# Django's UserAdmin sets its fieldsets; the stubs type the attribute as optional, as on
# ModelAdmin.
_DJANGO_USER_FIELDSETS = DjangoUserAdmin.fieldsets or ()


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = (
        "username",
        "email",
        "first_name",
        "last_name",
        "is_staff",
        "team_lead",
        "language",
        "is_active",
    )
    list_filter = ("is_staff", "is_superuser", "is_active", "language", "groups", "team_lead")
    list_select_related = ("team_lead",)
    search_fields = ("username", "first_name", "last_name", "email", "phone")
    autocomplete_fields = ("team_lead",)
    fieldsets = (
        *_DJANGO_USER_FIELDSETS[:2],
        (_("RenewDesk"), {"fields": ("language", "phone", "team_lead")}),
        *_DJANGO_USER_FIELDSETS[2:],
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "email", "language", "password1", "password2"),
            },
        ),
    )


@admin.register(Sequence)
class SequenceAdmin(admin.ModelAdmin):
    """Read only: a counter moved by hand would hand out a contract number twice."""

    list_display = ("name", "last_value")
    search_fields = ("name",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TaskOpenFilter(admin.SimpleListFilter):
    title = _("done")
    parameter_name = "done"

    def lookups(self, request, model_admin):
        return [("no", _("Open")), ("yes", _("Done"))]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(done_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(done_at__isnull=False)
        return queryset


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "assignee", "due_date", "customer", "contract", "done_at")
    list_filter = (TaskOpenFilter, "kind", "due_date", "assignee")
    list_select_related = ("assignee", "customer", "contract")
    search_fields = ("title", "details", "customer__code", "customer__name", "contract__number")
    date_hierarchy = "due_date"
    raw_id_fields = ("customer", "contract")
    autocomplete_fields = ("assignee",)
    readonly_fields = ("dedupe_key", "done_at", "done_by", "created_at", "updated_at")
    actions = ["complete_tasks"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        task, _created = task_create(
            assignee=obj.assignee,
            kind=obj.kind,
            title=obj.title,
            details=obj.details,
            due_date=obj.due_date,
            customer=obj.customer,
            contract=obj.contract,
        )
        obj.pk = task.pk
        obj.created_at, obj.updated_at = task.created_at, task.updated_at

    @admin.action(description=_("Mark the selected tasks as done"))
    def complete_tasks(self, request, queryset):
        done = 0
        for task in queryset.filter(done_at__isnull=True):
            try:
                task_complete(task=task, by=request.user)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{task}: {exc.message}", level=messages.WARNING)
        self.message_user(
            request,
            ngettext("%(n)d task marked done.", "%(n)d tasks marked done.", done) % {"n": done},
        )


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    """Documents carry signatures and money: viewable, never edited or deleted here."""

    list_display = ("title", "kind", "customer", "contract", "size", "created_at", "created_by")
    list_filter = ("kind", "created_at")
    list_select_related = ("customer", "contract", "created_by")
    search_fields = ("title", "sha256", "customer__code", "customer__name", "contract__number")
    date_hierarchy = "created_at"
    fields = (
        "title",
        "kind",
        "file_link",
        "sha256",
        "size",
        "customer",
        "contract",
        "created_by",
        "created_at",
    )
    readonly_fields = fields

    @admin.display(description=_("file"))
    def file_link(self, obj):
        # MEDIA_ROOT is not served: the staff download view checks the customer's book.
        if not (obj and obj.pk):
            return "—"
        return format_html(
            '<a href="{}">{}</a>', reverse("staff-document", args=[obj.pk]), obj.file.name
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
