"""Find and render the template for (kind, language, channel).

An active admin-edited MessageTemplate wins; otherwise the file templates
templates/emails/[<language>/]<kind>.{subject.txt,txt,html,sms.txt} are rendered with the
recipient's language active, so their {% translate %} strings come out in that language.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.template import Context, Engine, Template, TemplateDoesNotExist
from django.template.loader import select_template
from django.utils import translation
from django.utils.translation import gettext as _

from core.errors import DomainError

from .models import Channel, MessageTemplate

logger = logging.getLogger("notifications")


class TemplateMissing(DomainError):
    code = "template_missing"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class _DbTemplate:
    subject: Template
    text: Template
    html: Template | None


class TemplateCache:
    """Compiled templates for one sweep: each (kind, language, channel) is looked up once."""

    def __init__(self) -> None:
        self._db: dict[tuple[str, str, str], _DbTemplate | None] = {}

    def db_template(self, kind: str, language: str, channel: str) -> _DbTemplate | None:
        key = (kind, language, channel)
        if key not in self._db:
            self._db[key] = _db_template_shared(key)
        return self._db[key]


# --- the admin-edited templates, kept per process ----------------------------------------
#
# Every message asks for its (kind, language, channel) row, almost always to learn that
# there is none. With a shared cache (Redis) what was read is kept per process under a
# token stored in that cache; saving or deleting a MessageTemplate writes a new token (at
# once and again on commit), so every process reads the rows again. Without a shared
# cache, or when it cannot be reached, the row is read for every message as before.
# Entries also expire after NOTIFICATIONS["TEMPLATE_CACHE_SECONDS"] (default 60), for a
# lost token write or a bulk update that sends no signal.

TEMPLATES_KEY = "renewdesk:notifications:message-templates"
_templates: tuple[str, float, dict[tuple[str, str, str], _DbTemplate | None]] | None = None


def _shared_cache() -> bool:
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    return not backend.endswith(("LocMemCache", "DummyCache"))


def _templates_seconds() -> float:
    return float(getattr(settings, "NOTIFICATIONS", {}).get("TEMPLATE_CACHE_SECONDS", 60))


def _db_template_read(kind: str, language: str, channel: str) -> _DbTemplate | None:
    row = MessageTemplate.objects.filter(
        kind=kind, language=language, channel=channel, is_active=True
    ).first()
    return _compile(row) if row else None


def _db_template_shared(key: tuple[str, str, str]) -> _DbTemplate | None:
    global _templates
    if not _shared_cache():
        return _db_template_read(*key)
    try:
        token = cache.get(TEMPLATES_KEY)
        if token is None:
            # The cache was emptied: read this one, keep from the next call on.
            cache.add(TEMPLATES_KEY, uuid.uuid4().hex, timeout=None)
            return _db_template_read(*key)
    except Exception:  # noqa: BLE001 - the cache is a shortcut, the table the truth
        logger.warning("cache unavailable: message templates read from the database")
        return _db_template_read(*key)
    kept = _templates
    now = time.monotonic()
    if kept is None or kept[0] != token or now - kept[1] >= _templates_seconds():
        kept = (token, now, {})
        _templates = kept
    if key not in kept[2]:
        # Read after the token: a template committed before the token changed is in it.
        kept[2][key] = _db_template_read(*key)
    return kept[2][key]


def _templates_token_renew() -> None:
    try:
        cache.set(TEMPLATES_KEY, uuid.uuid4().hex, timeout=None)
    except Exception:  # noqa: BLE001 - the entries expire on their own
        logger.warning("cache unavailable: message template change not announced")


def message_templates_changed() -> None:
    """A MessageTemplate was saved or deleted: every process reads the rows again."""
    global _templates
    _templates = None
    if not _shared_cache():
        return
    _templates_token_renew()
    transaction.on_commit(_templates_token_renew)


@receiver(post_save, sender=MessageTemplate, dispatch_uid="notifications.template_saved")
@receiver(post_delete, sender=MessageTemplate, dispatch_uid="notifications.template_deleted")
def on_message_template_changed(sender: Any, **kwargs: Any) -> None:
    message_templates_changed()


def _compile(row: MessageTemplate) -> _DbTemplate:
    engine = Engine.get_default()
    return _DbTemplate(
        subject=engine.from_string(row.subject or ""),
        text=engine.from_string("{% autoescape off %}" + row.body_text + "{% endautoescape %}"),
        html=engine.from_string(row.body_html) if row.body_html.strip() else None,
    )


def _file_candidates(kind: str, language: str, suffix: str) -> list[str]:
    return [f"emails/{language}/{kind}.{suffix}", f"emails/{kind}.{suffix}"]


def _render_file(kind: str, language: str, suffix: str, context: dict[str, Any]) -> str | None:
    try:
        template = select_template(_file_candidates(kind, language, suffix))
    except TemplateDoesNotExist:
        return None
    return template.render(context)


def template_render(
    *,
    kind: str,
    language: str,
    channel: str,
    context: dict[str, Any],
    cache: TemplateCache | None = None,
) -> Rendered:
    """Render a message. Raises TemplateMissing when neither kind of template exists."""
    cache = cache or TemplateCache()
    subject: str | None
    text: str | None
    html: str
    with translation.override(language):
        db = cache.db_template(kind, language, channel)
        if db is not None:
            db_ctx = Context(context)
            subject = db.subject.render(db_ctx)
            text = db.text.render(db_ctx)
            html = db.html.render(db_ctx) if (db.html and channel == Channel.EMAIL) else ""
        else:
            ctx = {**context, "channel": channel, "language": language}
            subject = _render_file(kind, language, "subject.txt", ctx)
            if channel == Channel.SMS:
                text = _render_file(kind, language, "sms.txt", ctx)
                if text is None and subject is not None:
                    text = subject
            else:
                text = _render_file(kind, language, "txt", ctx)
            html = (_render_file(kind, language, "html", ctx) or "") if channel == "email" else ""
            if text is None:
                raise TemplateMissing(
                    _(
                        "No template for messages of kind “%(kind)s”: add one in the admin or "
                        "create templates/emails/%(kind)s.txt."
                    )
                    % {"kind": kind}
                )
    subject = " ".join((subject or "").split())[:300]
    return Rendered(subject=subject, text=text.strip() + "\n", html=html.strip())
