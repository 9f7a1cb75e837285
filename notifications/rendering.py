"""Find and render the template for (kind, language, channel).

An active admin-edited MessageTemplate wins; otherwise the file templates
templates/emails/[<language>/]<kind>.{subject.txt,txt,html,sms.txt} are rendered with the
recipient's language active, so their {% translate %} strings come out in that language.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.template import Context, Engine, Template, TemplateDoesNotExist
from django.template.loader import select_template
from django.utils import translation
from django.utils.translation import gettext as _

from core.errors import DomainError

from .models import Channel, MessageTemplate


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
            row = MessageTemplate.objects.filter(
                kind=kind, language=language, channel=channel, is_active=True
            ).first()
            self._db[key] = _compile(row) if row else None
        return self._db[key]


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
    with translation.override(language):
        db = cache.db_template(kind, language, channel)
        if db is not None:
            ctx = Context(context)
            subject = db.subject.render(ctx)
            text = db.text.render(ctx)
            html = db.html.render(ctx) if (db.html and channel == Channel.EMAIL) else ""
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
