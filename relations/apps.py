from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RelationsConfig(AppConfig):
    """Relationship maintenance: planned contact per tier and customer, team work on tasks,
    escalation of overdue complaints (docs/relations.md)."""

    name = "relations"
    verbose_name = _("Relationship maintenance")
