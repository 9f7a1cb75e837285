from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RenewalsConfig(AppConfig):
    name = "renewals"
    verbose_name = _("Renewals")

    def ready(self) -> None:
        from billing.services import invoice_paid

        from .event_labels import register
        from .receivers import on_invoice_paid

        register()

        invoice_paid.connect(on_invoice_paid, dispatch_uid="renewals.on_invoice_paid")
