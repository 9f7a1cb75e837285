from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LifecycleConfig(AppConfig):
    """The cross-app processes: contract-end processing, auto-renewal, the daily sweeps and
    the reactions to events. Domain apps never import it (docs/architecture.md)."""

    name = "lifecycle"
    verbose_name = _("Lifecycle")
