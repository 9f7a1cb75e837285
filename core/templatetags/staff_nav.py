"""Template helpers for the staff layout."""

from __future__ import annotations

from typing import Any

from django import template

from core.navigation import staff_nav_for
from core.pagination import PAGING_PARAMS

register = template.Library()


@register.simple_tag(takes_context=True)
def staff_nav(context: dict[str, Any]) -> list[dict]:
    """The navigation entries this user may see, with the current section marked active."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or user is None or not user.is_authenticated:
        return []
    match = getattr(request, "resolver_match", None)
    namespace = match.namespace if match else ""
    view_name = match.view_name if match else ""
    items = []
    for item in staff_nav_for(user):
        name = item["url_name"]
        if ":" in name:
            active = bool(namespace) and name.split(":", 1)[0] == namespace
        else:
            active = name == view_name
        items.append({**item, "active": active})
    return items


@register.simple_tag(takes_context=True)
def query_with(context: dict[str, Any], **changes: Any) -> str:
    """The current query string with some parameters replaced (None or "" removes one).

    Used by pagination and sortable headers so filters survive a page change. Changing
    anything but the paging parameters also drops them: other filters, other pages.
    """
    request = context["request"]
    params = request.GET.copy()
    if any(key not in PAGING_PARAMS for key in changes):
        for key in PAGING_PARAMS:
            params.pop(key, None)
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = str(value)
    return params.urlencode()


@register.inclusion_tag("staff/_sort_header.html", takes_context=True)
def sort_header(context: dict[str, Any], field: str, label: str, css: str = "") -> dict[str, Any]:
    """A table header that sorts by ``field``; a second click reverses the order."""
    request = context["request"]
    current = request.GET.get("sort", context.get("default_sort", ""))
    active = current.lstrip("-") == field
    descending = active and current.startswith("-")
    next_sort = field if (active and descending) or not active else f"-{field}"
    params = request.GET.copy()
    params["sort"] = next_sort
    for key in PAGING_PARAMS:
        params.pop(key, None)
    return {
        "label": label,
        "query": params.urlencode(),
        "active": active,
        "descending": descending,
        "css": css,
    }
