"""Where SMS providers push delivery receipts (Aliyun "SmsReport" HTTP push, Tencent
status callback). Neither provider signs these requests, so:

- the URL carries a secret token (``ALIYUN_SMS_RECEIPT_TOKEN`` / ``TENCENT_SMS_RECEIPT_TOKEN``)
  compared in constant time *before the body is read*; a wrong token, an unknown provider
  or a provider without a token (push not enabled) is a 404 and nothing changes;
- a receipt only moves a message we sent to that provider under that id and number
  (``services.receipts``), from "sent" to "delivered" / "not delivered".

These two views are ``csrf_exempt``: a provider's server cannot hold a CSRF token, and
without the exemption Django refuses its POST. The token stands in for it. The poll
(``poll_sms_receipts_task``) is the primary path; the push only makes receipts quicker.
"""

from __future__ import annotations

import hmac
import logging

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .channels.sms_receipts import PUSH_ACK, PUSH_PARSERS, ReceiptFormatError
from .services import sms_receipts_record

logger = logging.getLogger("notifications.sms")

MAX_BODY_BYTES = 1_000_000


def _token_ok(provider: str, token: str) -> bool:
    conf = getattr(settings, "SMS_PROVIDERS", {}).get(provider) or {}
    expected = str(conf.get("RECEIPT_TOKEN") or "")
    return bool(expected) and hmac.compare_digest(expected.encode(), token.encode())


@csrf_exempt
@require_POST
def sms_receipt_push(request: HttpRequest, provider: str, token: str) -> HttpResponse:
    if provider not in PUSH_PARSERS or not _token_ok(provider, token):
        raise Http404
    body = request.body[: MAX_BODY_BYTES + 1]
    if len(body) > MAX_BODY_BYTES:
        return JsonResponse({"error": "too large"}, status=413)
    try:
        receipts = PUSH_PARSERS[provider](body)
    except ReceiptFormatError as exc:
        logger.warning("%s receipt push refused: %s", provider, exc)
        return JsonResponse({"error": str(exc)}, status=400)
    counts = sms_receipts_record(receipts)
    logger.info("%s receipt push: %s", provider, counts)
    return JsonResponse(PUSH_ACK[provider], json_dumps_params={"ensure_ascii": False})
