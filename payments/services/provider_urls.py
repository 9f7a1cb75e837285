"""The public URLs a provider is given: where to notify us, where to send the customer back.

``settings.PAYMENTS_PUBLIC_URL`` (the https origin the providers can reach) or, without it,
``settings.SITE_URL``.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import NoReverseMatch, reverse

# The notification endpoint's URL name (payments' webhook URLs).
NOTIFY_URL_NAME = "payments-notify"


def public_url(path: str) -> str:
    base = (getattr(settings, "PAYMENTS_PUBLIC_URL", "") or settings.SITE_URL).rstrip("/")
    return base + path


def notify_url(provider_code: str) -> str:
    """The notification endpoint of ``provider_code`` (payments, refunds and mandates all
    arrive there)."""
    try:
        path = reverse(NOTIFY_URL_NAME, kwargs={"provider": provider_code})
    except NoReverseMatch:
        # Before the notification endpoints are mounted (and in tests without them).
        path = f"/payments/notify/{provider_code}/"
    return public_url(path)
