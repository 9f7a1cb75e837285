from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = pgettext_lazy("app name", "Billing")
