"""Reads of customers for the staff pages. Every query starts from customers.access.

The customer list and page, which show contracts too, are read in
contracts.customer_selectors (contracts build on customers, not the reverse)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
)

from .access import customers_visible_to
from .models import Contact, Customer

CUSTOMER_SORTS: dict[str, tuple[str, ...]] = {
    "code": ("code",),
    "-code": ("-code",),
    "name": ("name", "code"),
    "-name": ("-name", "-code"),
    "tier": ("effective_tier_sort", "code"),
    "-tier": ("-effective_tier_sort", "-code"),
    "manager": ("account_manager__username", "code"),
    "-manager": ("-account_manager__username", "-code"),
    "value": ("active_value", "code"),
    "-value": ("-active_value", "-code"),
    "next_end": ("next_end_date", "code"),
    "-next_end": ("-next_end_date", "-code"),
}
CUSTOMER_DEFAULT_SORT = "code"


@dataclass(frozen=True)
class CustomerFilters:
    q: str = ""
    tier: str = ""
    manager_id: int | None = None
    sort: str = CUSTOMER_DEFAULT_SORT
    # A whole tag (customers.tags.has_tag) and a term class (contracts.term_length).
    tag: str = ""
    term: str = ""
    # Only customers among these (a queryset of pks: a saved segment's members, given by
    # the form, an interface, so that this app does not read the segments above it).
    among: QuerySet[Any] | None = None


# Up to this many customers found through their contacts go into the query as ids, so
# that the trigram indexes of code, name and the contacts combine; beyond it (a broad
# search) a semi-join, which then finds a page quickly anyway.
SEARCH_CONTACT_IDS = 500


def customer_search(q: str) -> Q:
    """Customers whose code, name or tags contain ``q``, or one of whose contacts' name,
    email or phone does. Trigram indexes (customers migration 0004) serve every part."""
    contacts = Contact.objects.filter(
        Q(email__icontains=q) | Q(phone__icontains=q) | Q(name__icontains=q)
    )
    ids = list(contacts.values_list("customer_id", flat=True)[: SEARCH_CONTACT_IDS + 1])
    # Tags have no trigram index: the few customers tagged with the words are looked up
    # first (one scan, stopped at the cap), like the contacts above.
    tagged = list(
        Customer.objects.filter(tags__icontains=q).values_list("pk", flat=True)[
            : SEARCH_CONTACT_IDS + 1
        ]
    )
    if len(ids) > SEARCH_CONTACT_IDS or len(tagged) > SEARCH_CONTACT_IDS:
        match = Exists(contacts.filter(customer=OuterRef("pk")))
        return Q(code__icontains=q) | Q(name__icontains=q) | Q(match) | Q(tags__icontains=q)
    return Q(code__icontains=q) | Q(name__icontains=q) | Q(pk__in={*ids, *tagged})


def customers_for_staff(user: Any) -> QuerySet[Customer]:
    """The user's book with what a customer page shows of the customer itself."""
    return (
        customers_visible_to(user)
        .select_related("account_manager", "tier_override_by")
        .prefetch_related(
            "contacts",
            Prefetch("portal_accounts", queryset=_portal_accounts()),
        )
    )


def customer_get_for_staff(*, user: Any, pk: int) -> Customer:
    """Raises Customer.DoesNotExist outside the user's book (the view makes it a 404)."""
    return customers_for_staff(user).get(pk=pk)


def _portal_accounts() -> QuerySet:
    from .models import PortalAccount

    return PortalAccount.objects.select_related("user").order_by("created_at")
