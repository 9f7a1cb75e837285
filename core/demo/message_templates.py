"""The built-in message templates as editable MessageTemplate rows.

Without a row, notifications.rendering renders the files templates/emails/<kind>.* with
the recipient's language active, so their {% translate %} strings come out in that
language. An admin editing a row for one language wants to read that language, not
msgids: so each row is the file template *written out* in its language. Every
{% translate "…" %} and {% blocktranslate %} becomes its translated text with the
variables put back as {{ … }}, a plural becomes {% if n == 1 %}…{% else %}…{% endif %},
{% extends %} is resolved into one document, and {{ language }} (which the file renderer
adds to the context and a row's renderer does not) is written in. What cannot be written
out (a translated variable, a message context) is kept as the tag: it still renders in
the row's language, because rows are rendered with that language active.

tests/core/test_demo_message_templates.py renders every row against its file template.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.template import Context, Template, engines
from django.template.base import Lexer, Token, TokenType
from django.template.loader import get_template, select_template
from django.template.utils import get_app_template_dirs
from django.utils import translation
from django.utils.text import smart_split

from notifications.models import MessageTemplate
from notifications.rendering import message_templates_changed

# Who receives each kind, hence its channels. Customer messages go by e-mail and to the
# portal inbox (and by SMS where an SMS text exists); staff messages to the staff bell.
STAFF_KINDS = frozenset({"message_failed", "renewal_intent_staff", "auto_renewal_blocked_staff"})
EMAIL_ONLY_KINDS = frozenset({"portal_login_link"})
# Variables the file renderer adds itself (notifications.rendering.template_render).
RENDERER_VARIABLES = ("language", "channel")

_I18N_TAGS = {"translate", "trans", "blocktranslate", "blocktrans"}
_END_BLOCKTRANSLATE = {"endblocktranslate", "endblocktrans"}
_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")
_OPERATORS = {"and", "or", "not", "in", "is", "==", "!=", "<", ">", "<=", ">=", "None"}


class NotWritable(Exception):
    """A template construct this module cannot write out (e.g. {{ block.super }})."""


@dataclass(frozen=True)
class TemplateRow:
    kind: str
    language: str
    channel: str
    subject: str
    body_text: str
    body_html: str


# --- which templates exist -------------------------------------------------------------------


def _template_dirs() -> list[Path]:
    engine = engines["django"].engine  # type: ignore[attr-defined]
    return [Path(d) for d in [*engine.dirs, *get_app_template_dirs("templates")]]


def builtin_kinds() -> list[str]:
    """Every kind with a file template: templates/emails/[<language>/]<kind>.txt."""
    kinds = set()
    for directory in _template_dirs():
        for path in (directory / "emails").glob("**/*.txt"):
            if not path.name.endswith((".subject.txt", ".sms.txt")):
                kinds.add(path.name.removesuffix(".txt"))
    return sorted(kinds)


def _file(kind: str, language: str, suffix: str):
    try:
        return select_template([f"emails/{language}/{kind}.{suffix}", f"emails/{kind}.{suffix}"])
    except Exception:  # noqa: BLE001 - TemplateDoesNotExist: the part is optional
        return None


def channels_for(kind: str) -> tuple[str, ...]:
    if kind in STAFF_KINDS:
        return ("in_app",)
    if kind in EMAIL_ONLY_KINDS:
        return ("email",)
    channels: tuple[str, ...] = ("email", "in_app")
    languages = [code for code, _name in settings.LANGUAGES]
    if any(_file(kind, language, "sms.txt") is not None for language in languages):
        channels += ("sms",)
    return channels


# --- writing a template out in one language ---------------------------------------------------


def _source(template) -> str:
    return template.template.source


def _lex(source: str) -> list[Token]:
    return Lexer(source).tokenize()


def _bits(token: Token) -> list[str]:
    return list(smart_split(token.contents))


def _tag(token: Token) -> str:
    if token.token_type != TokenType.BLOCK:
        return ""
    bits = _bits(token)
    return bits[0] if bits else ""


def _text(contents: str) -> Token:
    return Token(TokenType.TEXT, contents)


def _var(expression: str) -> str:
    return "{{ " + expression + " }}"


def _tag_text(contents: str) -> str:
    return "{% " + contents + " %}"


def _serialise(tokens: Iterable[Token]) -> str:
    out = []
    for token in tokens:
        if token.token_type == TokenType.TEXT:
            out.append(token.contents)
        elif token.token_type == TokenType.VAR:
            out.append(_var(token.contents))
        elif token.token_type == TokenType.BLOCK:
            out.append(_tag_text(token.contents))
        # comments render nothing: dropped
    return "".join(out)


def _matching_end(tokens: list[Token], start: int, opening: str, closing: set[str]) -> int:
    depth = 0
    for i in range(start, len(tokens)):
        tag = _tag(tokens[i])
        if tag == opening:
            depth += 1
        elif tag in closing:
            depth -= 1
            if depth == 0:
                return i
    raise NotWritable(f"{{% {opening} %}} is not closed")


def _blocks(tokens: list[Token]) -> dict[str, list[Token]]:
    """The {% block name %} contents of a template (nested blocks included)."""
    found: dict[str, list[Token]] = {}
    for i, token in enumerate(tokens):
        if _tag(token) == "block":
            end = _matching_end(tokens, i, "block", {"endblock"})
            found.setdefault(_bits(token)[1], tokens[i + 1 : end])
    return found


def _override(tokens: list[Token], overrides: dict[str, list[Token]]) -> list[Token]:
    """``tokens`` with the contents of the blocks named in ``overrides`` replaced (the
    {% block %} tags kept, for a further level of inheritance)."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.token_type == TokenType.VAR and token.contents.startswith("block.super"):
            raise NotWritable("{{ block.super }}")
        if _tag(token) == "block":
            end = _matching_end(tokens, i, "block", {"endblock"})
            name = _bits(token)[1]
            inner = overrides.get(name, tokens[i + 1 : end])
            out += [token, *_override(inner, overrides), tokens[end]]
            i = end + 1
            continue
        out.append(token)
        i += 1
    return out


def _inherit(tokens: list[Token]) -> list[Token]:
    extends = next((t for t in tokens if _tag(t) == "extends"), None)
    if extends is None:
        return tokens
    parent_name = _bits(extends)[1]
    if parent_name[:1] not in "\"'":
        raise NotWritable("{% extends %} with a variable")
    parent = _inherit(_lex(_source(get_template(parent_name[1:-1]))))
    loads = [t for t in tokens if _tag(t) == "load"]
    return loads + _override(parent, _blocks(tokens))


def _flatten(tokens: list[Token]) -> list[Token]:
    """One document: {% extends %} resolved, {% block %} tags gone."""
    return [t for t in _inherit(tokens) if _tag(t) not in ("block", "endblock")]


def _blocktranslate_options(token: Token) -> tuple[dict[str, str], tuple[str, str] | None, bool]:
    """(with-variables, (counter name, counter expression), trimmed) of the opening tag."""
    bits = _bits(token)[1:]
    names: dict[str, str] = {}
    counter: tuple[str, str] | None = None
    trimmed = False
    mode = ""
    i = 0
    while i < len(bits):
        bit = bits[i]
        if bit in ("with", "count"):
            mode = bit
        elif bit == "trimmed":
            trimmed = True
        elif bit in ("context", "asvar"):
            raise NotWritable(f"blocktranslate {bit}")
        elif i + 2 < len(bits) and bits[i + 1] == "as":  # legacy "expr as name"
            names[bits[i + 2]] = bit
            i += 2
        elif "=" in bit:
            name, expression = bit.split("=", 1)
            if mode == "count" and counter is None:
                counter = (name, expression)
            else:
                names[name] = expression
        else:
            raise NotWritable(f"blocktranslate option {bit}")
        i += 1
    if counter is not None:
        names[counter[0]] = counter[1]
    return names, counter, trimmed


def _msgid(tokens: list[Token], trimmed: bool) -> str:
    """As BlockTranslateNode.render_token_list builds it."""
    parts = []
    for token in tokens:
        if token.token_type == TokenType.TEXT:
            parts.append(token.contents.replace("%", "%%"))
        elif token.token_type == TokenType.VAR:
            parts.append("%(" + token.contents + ")s")
        else:
            raise NotWritable("a tag inside blocktranslate")
    msgid = "".join(parts)
    return translation.trim_whitespace(msgid) if trimmed else msgid


def _plain(text: str) -> str:
    """Translated text that will be read as a template: it must not look like one."""
    if any(mark in text for mark in ("{{", "{%", "{#")):
        raise NotWritable("template syntax in a translation")
    return text


def _placeholders_to_variables(text: str, names: dict[str, str]) -> str:
    def replace(match: re.Match) -> str:
        if match.group(0) == "%%":
            return "%"
        name = match.group(1)
        return _var(names.get(name, name))

    written = _PLACEHOLDER.sub(replace, _plain(text))
    if "%" in _PLACEHOLDER.sub("", text).replace("%%", ""):
        raise NotWritable("a stray % in a translation")
    return written


def _write_blocktranslate(tokens: list[Token], language: str) -> str:
    opening = tokens[0]
    names, counter, trimmed = _blocktranslate_options(opening)
    inner = tokens[1:-1]
    plural_at = next((i for i, t in enumerate(inner) if _tag(t) == "plural"), None)
    singular = _msgid(inner if plural_at is None else inner[:plural_at], trimmed)
    with translation.override(language):
        if plural_at is None or counter is None:
            return _placeholders_to_variables(translation.gettext(singular), names)
        plural = _msgid(inner[plural_at + 1 :], trimmed)
        forms = {n: translation.ngettext(singular, plural, n) for n in range(0, 201)}
    distinct = set(forms.values())
    if len(distinct) == 1:
        return _placeholders_to_variables(forms[0], names)
    others = {text for n, text in forms.items() if n != 1}
    if len(distinct) == 2 and forms[1] not in others and len(others) == 1:
        one, many = forms[1], others.pop()
        return (
            _tag_text(f"if {counter[1]} == 1")
            + _placeholders_to_variables(one, names)
            + _tag_text("else")
            + _placeholders_to_variables(many, names)
            + _tag_text("endif")
        )
    raise NotWritable(f"plural rules of {language}")


def _write_translate(token: Token, language: str) -> Token:
    bits = _bits(token)
    asvar = None
    if len(bits) == 4 and bits[2] == "as":
        asvar = bits.pop()
        bits.pop()
    if len(bits) != 2 or bits[1][:1] not in "\"'" or bits[1][-1:] != bits[1][:1]:
        raise NotWritable("translate with options or a variable")
    literal = bits[1][1:-1]
    # As Variable.resolve and TranslateNode.render do: % doubled for gettext, then undone.
    with translation.override(language):
        text = _plain(translation.gettext(literal.replace("%", "%%")).replace("%%", "%"))
    if asvar is None:
        return _text(text)
    # {% firstof "literal" as name %} sets the variable as {% translate … as name %} does
    # (in the current context, unescaped: a literal is safe).
    quote = next((q for q in "\"'" if q not in text), None)
    if quote is None or "%}" in text:
        raise NotWritable("quotes in a translation")
    return Token(TokenType.BLOCK, f"firstof {quote}{text}{quote} as {asvar}")


def _localise(tokens: list[Token], language: str) -> tuple[list[Token], bool]:
    """The tokens with translations written out; True if an i18n tag had to stay."""
    out: list[Token] = []
    kept_i18n = False
    i = 0
    while i < len(tokens):
        token = tokens[i]
        tag = _tag(token)
        if tag in ("blocktranslate", "blocktrans"):
            end = _matching_end(tokens, i, tag, _END_BLOCKTRANSLATE)
            try:
                out.append(_text(_write_blocktranslate(tokens[i : end + 1], language)))
            except NotWritable:
                out.extend(tokens[i : end + 1])
                kept_i18n = True
            i = end + 1
            continue
        if tag in ("translate", "trans"):
            try:
                out.append(_write_translate(token, language))
            except NotWritable:
                out.append(token)
                kept_i18n = True
        elif token.token_type != TokenType.COMMENT:
            out.append(token)
        i += 1
    return out, kept_i18n


def _base_name(expression: str) -> str:
    return re.split(r"[.|]", expression.strip(), maxsplit=1)[0]


def _write_renderer_variables(tokens: list[Token], language: str, channel: str) -> str:
    """{{ language }} and {{ channel }} written in; a tag that tests them is wrapped in
    {% with %} instead."""
    values = {"language": language, "channel": channel}
    out: list[Token] = []
    wrap = False
    autoescape = [True]
    for token in tokens:
        tag = _tag(token)
        if tag == "autoescape":
            autoescape.append(_bits(token)[1] == "on")
        elif tag == "endautoescape" and len(autoescape) > 1:
            autoescape.pop()
        if token.token_type == TokenType.VAR and _base_name(token.contents) in values:
            rendered = Template(_var(token.contents)).render(
                Context(values, autoescape=autoescape[-1])
            )
            out.append(_text(rendered))
            continue
        if token.token_type == TokenType.BLOCK and set(_bits(token)[1:]) & set(values):
            wrap = True
        out.append(token)
    written = _serialise(out)
    if wrap:
        opening = _tag_text(f'with language="{language}" channel="{channel}"')
        written = opening + written + _tag_text("endwith")
    return written


def _loads(tokens: list[Token], keep_i18n: bool) -> list[Token]:
    """{% load %} tags moved to the front (once each), without i18n unless still needed."""
    libraries: list[str] = []
    rest: list[Token] = []
    for token in tokens:
        if _tag(token) == "load" and "from" not in _bits(token):
            libraries.extend(b for b in _bits(token)[1:] if b not in libraries)
        else:
            rest.append(token)
    if not keep_i18n:
        libraries = [b for b in libraries if b != "i18n"]
    head = [Token(TokenType.BLOCK, "load " + " ".join(libraries))] if libraries else []
    return head + rest


def template_write(source: str, *, language: str, channel: str) -> str:
    """A file template's source written out in ``language`` (see the module docstring)."""
    tokens = _flatten(_lex(source))
    localised, kept_i18n = _localise(tokens, language)
    return _write_renderer_variables(_loads(localised, kept_i18n), language, channel)


def template_variables(*sources: str) -> list[str]:
    """The context variables the templates read (dotted, without filters), for editors."""
    found: list[str] = []
    local: set[str] = set()

    def add(expression: str) -> None:
        name, *filters = expression.strip().split("|")
        if (
            name
            and name not in found
            and _base_name(name) not in local
            and name not in _OPERATORS
            and name[:1] not in "\"'0123456789-"
        ):
            found.append(name)
        for bit in filters:  # a filter's argument may be a variable too: |money:currency
            if ":" in bit:
                add(bit.split(":", 1)[1])

    for source in sources:
        for token in _lex(source):
            tag = _tag(token)
            if token.token_type == TokenType.VAR:
                add(token.contents)
            elif tag in ("if", "elif"):
                for bit in _bits(token)[1:]:
                    add(bit)
            elif tag in ("with", "blocktranslate", "blocktrans"):
                for bit in _bits(token)[1:]:
                    if "=" in bit:
                        name, expression = bit.split("=", 1)
                        local.add(name)
                        add(expression)
            elif tag == "for":
                bits = _bits(token)
                local.update(b.strip(",") for b in bits[1 : bits.index("in")])
                add(bits[bits.index("in") + 1])
    return [name for name in found if _base_name(name) not in local | set(RENDERER_VARIABLES)]


# --- the rows --------------------------------------------------------------------------------


def message_template_rows() -> list[TemplateRow]:
    """One row per built-in kind, language and channel, rendering as the files do."""
    rows = []
    for kind in builtin_kinds():
        for language, _name in settings.LANGUAGES:
            subject_file = _file(kind, language, "subject.txt")
            text_file = _file(kind, language, "txt")
            html_file = _file(kind, language, "html")
            sms_file = _file(kind, language, "sms.txt")
            if text_file is None:
                continue
            for channel in channels_for(kind):
                subject = (
                    template_write(_source(subject_file), language=language, channel=channel)
                    if subject_file
                    else ""
                )
                body_file = sms_file if channel == "sms" and sms_file else text_file
                if channel == "sms" and sms_file is None:
                    continue  # the renderer would send the subject as the SMS: no row
                body = template_write(_source(body_file), language=language, channel=channel)
                html = (
                    template_write(_source(html_file), language=language, channel=channel)
                    if html_file is not None and channel == "email"
                    else ""
                )
                sources = [s for s in (subject, body, html) if s]
                names = template_variables(*sources)
                # A comment renders nothing (and the renderer strips the line it leaves).
                note = "{# Variables: " + ", ".join(names) + " #}\n" if names else ""
                rows.append(
                    TemplateRow(
                        kind=kind,
                        language=language,
                        channel=channel,
                        subject=subject.strip(),
                        body_text=note + body,
                        body_html=html,
                    )
                )
    return rows


def message_templates_seed() -> int:
    """Create the rows that do not exist yet (an admin's edits are kept). Returns how many."""
    existing = set(MessageTemplate.objects.values_list("kind", "language", "channel"))
    new = [
        MessageTemplate(
            kind=row.kind,
            language=row.language,
            channel=row.channel,
            subject=row.subject,
            body_text=row.body_text,
            body_html=row.body_html,
        )
        for row in message_template_rows()
        if (row.kind, row.language, row.channel) not in existing
    ]
    MessageTemplate.objects.bulk_create(new)
    if new:
        message_templates_changed()
    return len(new)
