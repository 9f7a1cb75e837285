"""Staff navigation. Each app appends its entries; entries whose URL does not resolve
(an app not yet wired) are skipped, so the layout never breaks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: StrOrPromise
    permission: str | None = None
    # Under the "More" menu: the bar must stay one row on a 1366px laptop, in Chinese
    # and in English, so only the entries used every day stand in it.
    more: bool = False


STAFF_NAV: list[NavItem] = [
    NavItem("staff-home", _("Dashboard")),
    NavItem("customers:list", _("Customers")),
    NavItem("contracts:list", _("Contracts")),
    NavItem("renewals:pipeline", _("Renewal pipeline")),
    NavItem("retention:queue", _("Cancellations")),
    NavItem("billing:invoices", _("Invoices")),
    NavItem("staff-tasks", _("My tasks")),
    NavItem("relations:contacts", _("Due contacts"), more=True),
    NavItem("relations:team-tasks", _("Team tasks"), more=True),
    NavItem("relations:segments", _("Segments"), more=True),
    NavItem("relations:campaigns", _("Campaigns"), more=True),
    # staff_required like the queue; each sees the claims of the contracts in their book.
    NavItem("relations:claims", _("Compensation claims"), more=True),
    NavItem("insights:feedback", _("Feedback"), more=True),
    NavItem("insights:losses", _("Why we lose renewals"), more=True),
    # staff_required like the page; each sees the attempts of the invoices in their book.
    NavItem("payments:attempts", _("Online payments"), more=True),
    NavItem("notifications:outbox", _("Messages"), more=True),
    NavItem("dev-mail", _("Local mail"), more=True),  # `make run` only: not mounted elsewhere
]


def staff_nav_for(user) -> list[dict]:
    """The entries this user may see: those of the bar first, then those under "More"
    (each group in STAFF_NAV order), so the layout can regroup them by ``more``."""
    items = []
    for item in sorted(STAFF_NAV, key=lambda item: item.more):
        if item.permission and not user.has_perm(item.permission):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        items.append(
            {"url": url, "label": item.label, "url_name": item.url_name, "more": item.more}
        )
    return items
