from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplianceConfig(AppConfig):
    """Automatic-renewal law as data: jurisdictions, versioned rule sets with effective
    dates and sources, the rule set that applied to each contract, and the date windows
    the rules give (docs/compliance.md)."""

    name = "compliance"
    verbose_name = _("Compliance")
