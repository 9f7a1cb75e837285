"""A customer's own contact cadences (docs/relations.md, "Contact plans"): what the tier
plans for each kind, what the customer's row changes, and the writes of the customer
page's contact plan section. The sweep (relations.contact_plans) reads the same rows: a
customer row replaces its tier's row of the same kind, an inactive one switches the kind
off for the customer.

Access is the customer page's own rule (``customers.selectors.customer_get_for_staff``):
the views look the customer up through it, and the services check it again, so a caller
that forgets cannot change a customer outside the user's book."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from core.errors import DomainError
from customers.access import customers_visible_to
from customers.models import Customer

from .models import ContactCadence, ContactKind


@dataclass(frozen=True)
class KindCadence:
    """One kind (call, visit, review) of a customer's contact plan."""

    kind: str
    label: str
    tier_cadence: ContactCadence | None  # the tier's active row, if any
    override: ContactCadence | None  # the customer's own row, active or not

    @property
    def effective(self) -> ContactCadence | None:
        """What the sweep plans from: the customer's row when there is one (nothing when
        it is switched off), else the tier's."""
        if self.override is not None:
            return self.override if self.override.active else None
        return self.tier_cadence

    @property
    def switched_off(self) -> bool:
        return self.override is not None and not self.override.active


def customer_cadences(customer: Customer) -> list[KindCadence]:
    """Every contact kind with the tier's cadence (the customer's effective tier: an
    override wins) and the customer's own row. One query (the customer page shows it)."""
    tier = customer.tier_override or customer.tier
    tier_rows: dict[str, ContactCadence] = {}
    own: dict[str, ContactCadence] = {}
    for c in ContactCadence.objects.filter(
        Q(customer=customer) | Q(customer__isnull=True, tier=tier, active=True)
    ):
        (own if c.customer_id is not None else tier_rows)[c.kind] = c
    return [
        KindCadence(
            kind=str(kind),
            label=str(label),
            tier_cadence=tier_rows.get(kind),
            override=own.get(kind),
        )
        for kind, label in ContactKind.choices
    ]


def _check_book(customer: Customer, by: Any) -> None:
    if not customers_visible_to(by).filter(pk=customer.pk).exists():
        raise DomainError(_("This customer is not in your book."))


def _check_kind(kind: str) -> None:
    if kind not in ContactKind.values:
        raise DomainError(_("Choose a call, a visit or a business review."))


@transaction.atomic
def customer_cadence_set(
    *,
    customer: Customer,
    by: Any,
    kind: str,
    every: int,
    unit: str,
    lead_days: int,
    estimate_minutes: int | None = None,
    active: bool = True,
) -> ContactCadence:
    """Add or change the customer's cadence of ``kind`` (``active=False``: no contact of
    this kind is planned for the customer, whatever the tier says). The row is locked
    while it is changed; the unique (customer, kind) constraint keeps two at once from
    making two rows."""
    _check_book(customer, by)
    _check_kind(kind)
    row = ContactCadence.objects.select_for_update().filter(
        customer=customer, kind=kind
    ).first() or ContactCadence(customer=customer, kind=kind)
    row.every = every
    row.unit = unit
    row.lead_days = lead_days
    row.estimate_minutes = estimate_minutes
    row.active = active
    try:
        row.full_clean()
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages)) from exc
    row.save()
    return row


@transaction.atomic
def customer_cadence_remove(*, customer: Customer, by: Any, kind: str) -> bool:
    """Remove the customer's own cadence of ``kind``: the tier's applies again. False
    when there was none (removed twice, or by someone else first)."""
    _check_book(customer, by)
    _check_kind(kind)
    deleted, _rows = ContactCadence.objects.filter(customer=customer, kind=kind).delete()
    return bool(deleted)
