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
        # Surveys live under Feedback (seven tabs would not fit a phone).
        if match and match.namespace == "surveys":
            name = "feedback-list"
        section = _SECTIONS.get(name or "", "home")
    # A page that renders parts of itself with the request (render_to_string) runs the
    # context processors once per part: count once per request.
    counts = getattr(request, "_portal_counts", None)
    if counts is None:
        from portal.selectors import open_surveys_count, unread_count

        counts = {
            "portal_unread_count": unread_count(customer=customer),
            "portal_open_surveys": open_surveys_count(customer=customer),
        }
        request._portal_counts = counts  # type: ignore[attr-defined]
    return {"portal_customer": customer, "portal_section": section, **counts}


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
