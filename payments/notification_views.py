"""The providers' notification endpoint, ``POST /payments/notify/<provider>/``
(docs/payments.md, "Security").

These are the only views without CSRF protection: a provider's server cannot hold a CSRF
token; each request is authenticated by the provider's signature instead, which the adapter
verifies before anything of the body is read (``notification_receive``).
"""

from __future__ import annotations

import logging

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from payments.providers import PROVIDER_CLASSES, provider_get
from payments.services.notifications import notification_receive

logger = logging.getLogger(__name__)


@csrf_exempt  # authenticated by the provider's signature, verified first
@require_POST
def notify_view(request: HttpRequest, provider: str) -> HttpResponse:
    if provider not in PROVIDER_CLASSES:
        raise Http404
    try:
        reply = notification_receive(provider, request.body, request.headers)
    except Exception:
        # Nothing was committed (the log row shares the transaction): answer with the
        # provider's failure reply so that it delivers again later.
        logger.exception("payments: %s notification could not be processed", provider)
        reply = provider_get(provider).notification_reply(accepted=False)
    return HttpResponse(reply.body, status=reply.status, content_type=reply.content_type)
