"""Admin pieces shared by the event tables (``core.events.EventBase``): where a row's
reactions stand, and a way to run them again after the cause of a failure is fixed."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.events import reactions_failed, reactions_retry, reactions_waiting


class ReactionStateFilter(admin.SimpleListFilter):
    title = _("reactions")
    parameter_name = "reactions"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("failed", _("failed after the last attempt")),
            ("waiting", _("waiting or retrying")),
            ("done", _("done")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value == "failed":
            return queryset.filter(reactions_failed())
        if value == "waiting":
            return queryset.filter(reactions_waiting())
        if value == "done":
            return queryset.filter(reacted_at__isnull=False)
        return queryset


@admin.action(description=_("Run the reactions again"))
def reactions_retry_action(model_admin: Any, request: HttpRequest, queryset: QuerySet) -> None:
    """Rows whose reactions failed go back to the sweep (next minute), attempts from zero."""
    count = reactions_retry(queryset)
    model_admin.message_user(
        request,
        ngettext(
            "%(count)d event goes back to the reaction sweep.",
            "%(count)d events go back to the reaction sweep.",
            count,
        )
        % {"count": count},
        messages.SUCCESS,
    )
