"""SMS through a pluggable provider backend.

``settings.NOTIFICATIONS_SMS_BACKEND`` names the backend: ``aliyun`` / ``tencent`` (the
providers' official SDKs, ``sms_aliyun.py`` and ``sms_tencent.py``), ``console`` (the
default of ``make run``: logs the SMS) or ``file`` (one JSON line per SMS in
``settings.NOTIFICATIONS_SMS_FILE``), or a dotted path to a class of your own.

A provider does not send free text: it sends a template it has approved, with parameters
and a signature name. So a backend that ``uses_templates`` is given the
:class:`SmsTemplateCall` resolved from the admin's ``SmsTemplate`` for the message's
provider, kind and language; a message with no such template fails for good with an error
that says what to configure. The console and file backends get ``template=None`` and send
the rendered text, and their messages stay "sent": they never have a delivery receipt.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from ..models import SmsTemplate
from .base import DeliveryResult, PermanentDeliveryError

if TYPE_CHECKING:
    from notifications.models import Message

logger = logging.getLogger("notifications.sms")


@dataclass(frozen=True)
class SmsTemplateCall:
    """What a provider sends: its template, the signature and the parameters, in the
    template's order (Tencent's parameters are positional, Aliyun's named)."""

    template_code: str
    sign_name: str
    params: Mapping[str, str] = field(default_factory=dict)


class SmsBackend(Protocol):
    provider: ClassVar[str]  # stored on the message; receipts are matched by it
    uses_templates: ClassVar[bool]

    def send(
        self, *, to: str, body: str, message_id: int, template: SmsTemplateCall | None
    ) -> str: ...


class ConsoleSmsBackend:
    provider: ClassVar[str] = "console"
    uses_templates: ClassVar[bool] = False

    def send(
        self, *, to: str, body: str, message_id: int, template: SmsTemplateCall | None = None
    ) -> str:
        provider_id = f"console-{uuid.uuid4().hex[:12]}"
        logger.info("SMS to %s (message %s, %s): %s", to, message_id, provider_id, body)
        return provider_id


class FileSmsBackend:
    provider: ClassVar[str] = "file"
    uses_templates: ClassVar[bool] = False

    def __init__(self, path: str | None = None) -> None:
        default = Path(settings.BASE_DIR) / "sent-sms.jsonl"
        self.path = Path(path or getattr(settings, "NOTIFICATIONS_SMS_FILE", None) or default)

    def send(
        self, *, to: str, body: str, message_id: int, template: SmsTemplateCall | None = None
    ) -> str:
        provider_id = f"file-{uuid.uuid4().hex[:12]}"
        line = {
            "id": provider_id,
            "to": to,
            "body": body,
            "message_id": message_id,
            "at": timezone.now().isoformat(),
        }
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")
        return provider_id


BACKENDS = {
    "console": "notifications.channels.sms.ConsoleSmsBackend",
    "file": "notifications.channels.sms.FileSmsBackend",
    "aliyun": "notifications.channels.sms_aliyun.AliyunSmsBackend",
    "tencent": "notifications.channels.sms_tencent.TencentSmsBackend",
}


def sms_backend() -> SmsBackend:
    name = getattr(settings, "NOTIFICATIONS_SMS_BACKEND", "") or "console"
    return import_string(BACKENDS.get(name, name))()


def context_params(context: Mapping[str, Any]) -> dict[str, str]:
    """The scalar values of a template context, keyed by their path (``manager.name``),
    as text: what an SMS template's parameters are filled from. Stored on the message
    when it is rendered (``Message.context``), so a retry days later sends the same."""
    out: dict[str, str] = {}

    def walk(prefix: str, value: Any, depth: int) -> None:
        if isinstance(value, Mapping):
            if depth < 2:
                for key, item in value.items():
                    walk(f"{prefix}{key}.", item, depth + 1)
            return
        if value is None or isinstance(value, str | int | float | bool) or _is_scalar(value):
            out[prefix[:-1]] = "" if value is None else str(value)

    walk("", context, 0)
    return out


def _is_scalar(value: Any) -> bool:
    # Dates, Decimals, lazy translations: printable values, not model instances.
    return type(value).__module__ in {"datetime", "decimal", "django.utils.functional"}


def sms_template_call(message: Message, provider: str) -> SmsTemplateCall:
    """The admin's template for this message on ``provider``, its parameters filled from
    the message's stored context. Raises PermanentDeliveryError when none is configured
    or a parameter has no value: the provider would refuse it every time."""
    template = SmsTemplate.objects.filter(
        provider=provider, kind=message.template_kind, language=message.language, is_active=True
    ).first()
    if template is None:
        raise PermanentDeliveryError(
            _(
                "No SMS template is configured for %(provider)s, kind “%(kind)s”, language "
                "%(language)s: add one in the admin (SMS templates), then send it again."
            )
            % {"provider": provider, "kind": message.template_kind, "language": message.language}
        )
    values = {str(k): str(v) for k, v in (message.context or {}).items()}
    params: dict[str, str] = {}
    for name, key in template.params:
        if key not in values:
            raise PermanentDeliveryError(
                _(
                    "SMS template %(code)s needs “%(key)s”, which messages of kind "
                    "“%(kind)s” do not have: correct its parameters in the admin."
                )
                % {"code": template.template_code, "key": key, "kind": message.template_kind}
            )
        params[name] = values[key]
    return SmsTemplateCall(
        template_code=template.template_code, sign_name=template.sign_name, params=params
    )


def sms_send(message: Message) -> DeliveryResult:
    if not message.to_address:
        raise PermanentDeliveryError("no phone number")
    backend = sms_backend()
    template = sms_template_call(message, backend.provider) if backend.uses_templates else None
    provider_id = backend.send(
        to=message.to_address,
        body=message.body_text.strip(),
        message_id=message.pk,
        template=template,
    )
    return DeliveryResult(provider_message_id=provider_id, provider=backend.provider)
