from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoyaltyConfig(AppConfig):
    """Loyalty and rewards: points earned by rules kept as data, member levels with
    privileges applied to renewal quotes, redemptions as ledger rows, referrals
    (docs/loyalty.md)."""

    name = "loyalty"
    verbose_name = _("Loyalty and rewards")
