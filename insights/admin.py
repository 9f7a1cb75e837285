from __future__ import annotations

from django.contrib import admin

from .models import FeedbackAssignment, Interaction, PropensityModel


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):
    list_display = ["customer", "kind", "at", "by", "next_follow_up"]
    list_filter = ["kind"]
    search_fields = ["customer__code", "customer__name", "summary"]
    raw_id_fields = ["customer", "by", "follow_up_task"]


@admin.register(FeedbackAssignment)
class FeedbackAssignmentAdmin(admin.ModelAdmin):
    list_display = ["feedback", "assignee", "assigned_by", "assigned_at"]
    raw_id_fields = ["feedback", "assignee", "assigned_by"]


@admin.register(PropensityModel)
class PropensityModelAdmin(admin.ModelAdmin):
    """Read-only: rows are written by the train_propensity command."""

    list_display = ["trained_at", "algorithm", "training_rows", "holdout_rows", "holdout_auc"]
    exclude = ["blob"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
