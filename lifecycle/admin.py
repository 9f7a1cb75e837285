"""Admin of the lifecycle's own rows: the retention purge log, read only (it is the record
that a deletion happened; docs/compliance.md, "Evidence and retention")."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import RetentionPurge


@admin.register(RetentionPurge)
class RetentionPurgeAdmin(admin.ModelAdmin):
    list_display = [
        "as_of",
        "started_at",
        "finished_at",
        "contracts_examined",
        "contracts_purged",
        "consents_deleted",
        "delivery_logs_deleted",
        "consents_kept_for_mandates",
    ]
    date_hierarchy = "started_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
