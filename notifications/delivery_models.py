"""How messages are delivered beyond the outbox row: the SMS templates each provider has
approved (an SMS provider sends a template with parameters, not free text) and the
message event table (the transitions others care about)."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.events import EventBase
from core.models import TimeStampedModel


class SmsProvider(models.TextChoices):
    ALIYUN = "aliyun", _("Alibaba Cloud SMS")
    TENCENT = "tencent", _("Tencent Cloud SMS")


def param_names_parse(value: str) -> list[tuple[str, str]]:
    """'code=contract_number, end_date' → [("code", "contract_number"), ("end_date",
    "end_date")]: (the template's variable, the message context key it is filled from),
    in order. Raises ValueError on an empty or malformed entry."""
    out = []
    for raw in value.split(","):
        item = raw.strip()
        if not item:
            continue
        name, _sep, key = item.partition("=")
        name, key = name.strip(), (key.strip() or name.strip())
        if not name or not key or any(c.isspace() for c in name + key):
            raise ValueError(item)
        out.append((name, key))
    return out


class SmsTemplate(TimeStampedModel):
    """A template approved by an SMS provider for one message kind and language.

    Aliyun names its variables (``${code}``): ``param_names`` maps each to a context key,
    ``code=contract_number``. Tencent numbers them (``{1}``, ``{2}``): the order of
    ``param_names`` is the order of the parameters, the names are only labels.
    """

    provider = models.CharField(_("provider"), max_length=20, choices=SmsProvider.choices)
    kind = models.CharField(_("message kind"), max_length=50)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    template_code = models.CharField(
        _("template id"),
        max_length=64,
        help_text=_("Aliyun: the template code (SMS_123456789); Tencent: the template id."),
    )
    sign_name = models.CharField(
        _("signature name"),
        max_length=64,
        help_text=_("The approved signature (签名) shown at the start of the SMS."),
    )
    param_names = models.CharField(
        _("parameters"),
        max_length=500,
        blank=True,
        help_text=_(
            "Comma-separated, in the template's order: variable=context key, or just the "
            "context key when both are the same, e.g. code=contract_number, end_date."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("SMS template")
        verbose_name_plural = _("SMS templates")
        ordering = ["provider", "kind", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "kind", "language"], name="one_sms_template_per_kind_language"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} / {self.kind} / {self.language}: {self.template_code}"

    @property
    def params(self) -> list[tuple[str, str]]:
        return param_names_parse(self.param_names)

    def clean(self) -> None:
        try:
            param_names_parse(self.param_names)
        except ValueError as exc:
            raise ValidationError(
                {"param_names": _("“%(item)s” is not a parameter name.") % {"item": exc}}
            ) from exc


class MessageEvent(EventBase):
    """A change of a message's status that others care about: sent, delivered, not
    delivered, failed, cancelled, sent again by staff. The claim churn (pending → sending
    → pending) writes none (notifications/message_states.py says why)."""

    SUBJECT_FIELD: ClassVar[str] = "message"

    message = models.ForeignKey(
        "notifications.Message",
        verbose_name=_("message"),
        on_delete=models.CASCADE,
        related_name="events",
    )

    class Meta(EventBase.Meta):
        verbose_name = _("message event")
        verbose_name_plural = _("message events")
        indexes = [
            *EventBase.Meta.indexes,
            models.Index(fields=["message", "at"], name="message_event_message"),
        ]

    def __str__(self) -> str:
        return f"{self.message_id}: {self.kind}"
