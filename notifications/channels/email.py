"""Email through Django's configured backend (SMTP in production, from EMAIL_URL)."""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from email.utils import make_msgid
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.utils.module_loading import import_string

from .base import DeliveryResult, PermanentDeliveryError, TransientDeliveryError

if TYPE_CHECKING:
    from notifications.models import Message


def _attachment_providers() -> list[Callable[[Message], list[tuple[str, bytes, str]]]]:
    """Apps above notifications attach files to emails of their own kinds (retention: the
    cancellation confirmation PDF), named in ``settings.RENEWDESK_EMAIL_ATTACHMENTS``. A
    provider takes the Message and returns (filename, bytes, mimetype) tuples; it is
    called at delivery time, so a retry attaches the same stored document."""
    return [import_string(path) for path in getattr(settings, "RENEWDESK_EMAIL_ATTACHMENTS", ())]


def _classify_code(code: int, text: str) -> Exception:
    if 400 <= code < 500:
        return TransientDeliveryError(f"SMTP {code}: {text}")
    return PermanentDeliveryError(f"SMTP {code}: {text}")


def email_send(message: Message) -> DeliveryResult:
    if not message.to_address:
        raise PermanentDeliveryError("no email address")
    msgid = make_msgid(domain=getattr(settings, "NOTIFICATIONS_MESSAGE_ID_DOMAIN", "renewdesk"))
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to_address],
        headers={"Message-ID": msgid, "X-RenewDesk-Message": str(message.pk)},
        connection=get_connection(fail_silently=False),
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    for provider in _attachment_providers():
        for filename, content, mimetype in provider(message):
            email.attach(filename, content, mimetype)
    try:
        email.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _msg in exc.recipients.values()]
        if codes and all(400 <= c < 500 for c in codes):
            raise TransientDeliveryError(f"recipient refused: {exc.recipients}") from exc
        raise PermanentDeliveryError(f"recipient refused: {exc.recipients}") from exc
    except smtplib.SMTPResponseException as exc:
        err = exc.smtp_error
        text = err.decode(errors="replace") if isinstance(err, bytes) else str(err)
        raise _classify_code(exc.smtp_code, text) from exc
    except (smtplib.SMTPException, ConnectionError, TimeoutError, OSError) as exc:
        # Disconnected, refused, timed out, DNS: the server may be back in a minute.
        raise TransientDeliveryError(f"{exc.__class__.__name__}: {exc}") from exc
    return DeliveryResult(provider_message_id=msgid)
