"""Template context for portal pages: the logged-in customer and the active nav section."""

from __future__ import annotations

from django.http import HttpRequest


def portal(request: HttpRequest) -> dict:
    # Only portal pages need this; staff pages must not pay for the query.
    if not request.path.startswith("/portal/"):
        return {}
    from portal.access import portal_customer_or_none

    customer = portal_customer_or_none(request)
    if customer is None:
        return {}
    section = getattr(request, "portal_section", "")
    if not section:
        match = getattr(request, "resolver_match", None)
        name = match.url_name if match else ""
        section = _SECTIONS.get(name or "", "home")
    from portal.selectors import unread_count

    return {
        "portal_customer": customer,
        "portal_section": section,
        "portal_unread_count": unread_count(customer=customer),
    }


# url_name -> highlighted tab; anything else (renewal/cancellation pages) is "home".
_SECTIONS = {
    "messages": "messages",
    "message-read": "messages",
    "feedback-list": "feedback",
    "feedback-new": "feedback",
    "feedback-detail": "feedback",
    # Contacts and the password live under Settings: five tabs fit a phone's width.
    "contacts": "preferences",
    "contact-edit": "preferences",
    "password-change": "preferences",
    "preferences": "preferences",
}
