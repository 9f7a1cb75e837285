"""Customer tags: how the free-text ``Customer.tags`` field is read as a list of tags, and
how a list or a segment finds the customers with a tag.

The field stays free text as typed (existing data is not rewritten): tags are separated by
commas, and the Chinese comma "，", the enumeration comma "、" and semicolons are read as
separators too, because that is what people type. A tag is compared trimmed, with runs of
spaces as one, and without regard to case: "VIP", " vip " and "Vip" are the same tag.
"""

from __future__ import annotations

import re

from django.db.models import Q

# The characters that separate two tags in Customer.tags.
SEPARATORS = ",，、;；"
_SPLIT = re.compile(f"[{re.escape(SEPARATORS)}]")
_SPACES = re.compile(r"\s+")
# The field is 300 characters: no tag can be longer.
TAG_MAX_LENGTH = 100


def tag_normalise(tag: str) -> str:
    """A tag as it is compared: trimmed, inner spaces collapsed, lower case."""
    return _SPACES.sub(" ", tag).strip().lower()


def tags_split(text: str) -> list[str]:
    """The distinct tags of a tags text, normalised, in the order first written."""
    seen: dict[str, None] = {}
    for part in _SPLIT.split(text or ""):
        tag = tag_normalise(part)
        if tag:
            seen.setdefault(tag, None)
    return list(seen)


def tags_display(text: str) -> list[str]:
    """The tags of a tags text as typed (trimmed), for display."""
    return [t for t in (_SPACES.sub(" ", p).strip() for p in _SPLIT.split(text or "")) if t]


def has_tag(tag: str, *, field: str = "tags") -> Q:
    """Customers (or rows reaching a customer's tags through ``field``) tagged ``tag``: a
    whole tag, not a part of one ("vip" does not find "non-vip"), any case, any spaces
    around it or inside it. A PostgreSQL case-insensitive regular expression; the tag's
    own characters are escaped (Python's escapes are literal in PostgreSQL's syntax)."""
    words = [re.escape(w) for w in tag_normalise(tag).split(" ") if w]
    if not words:
        return Q(pk__in=[])
    sep = f"[{re.escape(SEPARATORS)}]"
    body = r"\s+".join(words)
    pattern = rf"(^|{sep})\s*{body}\s*($|{sep})"
    return Q(**{f"{field}__iregex": pattern})
