"""Deployment checks of online payments (``manage.py check --deploy``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register

from billing.documents import bank_details
from payments.providers import PROVIDER_CLASSES, provider_get


@register(Tags.security, deploy=True)
def payments_deploy_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    found: list[CheckMessage] = []
    if not bank_details():
        found.append(
            Warning(
                "No bank details for transfers: invoices and the portal show no bank account.",
                hint="Set BANK_ACCOUNT_NAME, BANK_NAME and BANK_ACCOUNT_NUMBER "
                "(docs/configuration.md, Payments).",
                id="payments.W001",
            )
        )
    for code in PROVIDER_CLASSES:
        given = settings.PAYMENT_PROVIDERS.get(code) or {}
        if not given:
            continue
        try:
            configured = provider_get(code).is_configured()
        except Exception as exc:  # an adapter that cannot even load its settings
            configured = False
            detail = f" ({type(exc).__name__})"
        else:
            detail = ""
        if not configured:
            found.append(
                Warning(
                    f"Payment provider {code!r} is partly configured{detail}: it is hidden "
                    "from customers.",
                    hint="Complete or remove its environment variables "
                    "(docs/configuration.md, Payments); key files must be readable.",
                    id="payments.W002",
                )
            )
    if any(settings.PAYMENT_PROVIDERS.values()) and not settings.PAYMENTS_PUBLIC_URL:
        found.append(
            Warning(
                "PAYMENTS_PUBLIC_URL is not set: notification and return URLs are built "
                "from each request's host.",
                hint="Set it to the public https origin the providers can reach.",
                id="payments.W003",
            )
        )
    return found
