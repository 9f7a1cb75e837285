from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    """Online payments: provider adapters (WeChat Pay, Alipay, Stripe), payment attempts
    started from the portal, verified provider notifications, refunds through the provider
    and saved payment methods for auto-renewal (docs/payments.md)."""

    name = "payments"
    verbose_name = _("Online payments")

    def ready(self) -> None:
        # Registers the deploy checks (``check --deploy``): bank details, partly configured
        # providers. Nothing else happens at start-up.
        from . import checks  # noqa: F401
