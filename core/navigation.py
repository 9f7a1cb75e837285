"""Staff navigation. Each app appends its entries; entries whose URL does not resolve
(an app not yet wired) are skipped, so the layout never breaks."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: str
    permission: str | None = None


STAFF_NAV: list[NavItem] = [
    NavItem("staff-home", _("Dashboard")),
    NavItem("customers:list", _("Customers")),
    NavItem("contracts:list", _("Contracts")),
    NavItem("renewals:pipeline", _("Renewal pipeline")),
    NavItem("retention:queue", _("Cancellations")),
    NavItem("billing:invoices", _("Invoices")),
    NavItem("staff-tasks", _("My tasks")),
    NavItem("insights:feedback", _("Feedback")),
    NavItem("notifications:outbox", _("Messages")),
    NavItem("dev-mail", _("Local mail")),  # `make run` only: not mounted elsewhere
]


def staff_nav_for(user) -> list[dict]:
    items = []
    for item in STAFF_NAV:
        if item.permission and not user.has_perm(item.permission):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        items.append({"url": url, "label": item.label, "url_name": item.url_name})
    return items
