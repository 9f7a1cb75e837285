"""Writes to customers go through here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings as django_settings
from django.db import transaction
from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError

from .models import Contact, Customer, Tier, TierSettings

CUSTOMER_FIELDS = {
    "code",
    "name",
    "kind",
    "account_manager",
    "language",
    "notify_email",
    "notify_sms",
    "notify_in_app",
    "care_messages",
    "birthday",
    "founded_on",
    "tags",
    "notes",
}


@transaction.atomic
def customer_create(*, by: Any, contact: dict[str, Any] | None = None, **fields: Any) -> Customer:
    unknown = set(fields) - CUSTOMER_FIELDS
    if unknown:
        raise ValueError(f"unknown customer fields: {sorted(unknown)}")
    if Customer.objects.filter(code=fields.get("code")).exists():
        raise DomainError(_("A customer with this code already exists."))
    customer = Customer.objects.create(**fields)
    if contact and (contact.get("name") or contact.get("email")):
        Contact.objects.create(customer=customer, is_primary=True, **contact)
    return customer


@transaction.atomic
def customer_update(*, customer: Customer, by: Any, **fields: Any) -> Customer:
    unknown = set(fields) - CUSTOMER_FIELDS
    if unknown:
        raise ValueError(f"unknown customer fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(customer, name, value)
    customer.save()
    return customer


@transaction.atomic
def customer_set_tier_override(*, customer: Customer, by: Any, tier: str, reason: str) -> Customer:
    """Pin a tier by hand (or clear the pin with tier=""), keeping who and why."""
    if tier and not reason.strip():
        raise DomainError(_("Give a reason for overriding the tier."))
    customer.tier_override = tier
    customer.tier_override_reason = reason.strip() if tier else ""
    customer.tier_override_by = by if tier else None
    customer.tier_override_at = timezone.now() if tier else None
    customer.save(
        update_fields=[
            "tier_override",
            "tier_override_reason",
            "tier_override_by",
            "tier_override_at",
            "updated_at",
        ]
    )
    return customer


@transaction.atomic
def contact_save(
    *, customer: Customer, by: Any, contact: Contact | None = None, **fields: Any
) -> Contact:
    """Create or update a contact; making one primary demotes the previous primary."""
    if fields.get("is_primary"):
        others = customer.contacts.all()
        if contact is not None:
            others = others.exclude(pk=contact.pk)
        others.update(is_primary=False)
    if contact is None:
        return Contact.objects.create(customer=customer, **fields)
    for name, value in fields.items():
        setattr(contact, name, value)
    contact.save()
    return contact


# --- Tiers (ABC classification by annualised active contract value) ----------------------


@dataclass(frozen=True)
class TierRecomputeResult:
    as_of: dt.date
    changed: int
    counts: dict[str, int]
    overridden: int
    skipped_currencies: tuple[str, ...]


def customer_active_annual_value(*, as_of: dt.date, rates: dict[str, Decimal]) -> Subquery:
    """Per-customer sum of annual_value of contracts in force on ``as_of``, in the default
    currency, as a subquery usable in annotate() / alias() / update().

    Contracts in another currency count at ``rates``; one without a rate counts 0.
    Relies on the contract (customer, end_date) index.
    """
    from contracts.models import Contract, ContractStatus

    default = django_settings.RENEWDESK["DEFAULT_CURRENCY"]
    converted = Case(
        When(currency=default, then=F("annual_value")),
        *[
            When(currency=code, then=F("annual_value") * Value(rate))
            for code, rate in sorted(rates.items())
            if code != default
        ],
        default=Value(Decimal("0")),
        output_field=DecimalField(max_digits=20, decimal_places=4),
    )
    per_customer = (
        Contract.objects.filter(
            customer=OuterRef("pk"),
            status=ContractStatus.ACTIVE,
            start_date__lte=as_of,
            end_date__gte=as_of,
        )
        .order_by()
        .values("customer")
        .annotate(total=Sum(converted))
        .values("total")
    )
    return Subquery(per_customer, output_field=DecimalField(max_digits=20, decimal_places=4))


@transaction.atomic
def customer_tiers_recompute(*, as_of: dt.date) -> TierRecomputeResult:
    """Recompute every customer's computed tier in three set-based UPDATEs.

    A manual override is kept as it is (the effective tier stays the override); the
    computed tier underneath is still refreshed so that clearing the override shows a
    current value.
    """
    from contracts.models import Contract, ContractStatus

    tier_settings = TierSettings.objects.select_for_update().get(pk=TierSettings.load().pk)
    rates = tier_settings.fx_rate_map()
    value = Coalesce(
        customer_active_annual_value(as_of=as_of, rates=rates),
        Value(Decimal("0")),
        output_field=DecimalField(max_digits=20, decimal_places=4),
    )
    bands = [
        (Tier.A, Q(value__gte=tier_settings.a_min)),
        (Tier.B, Q(value__gte=tier_settings.b_min, value__lt=tier_settings.a_min)),
        (Tier.C, Q(value__lt=tier_settings.b_min)),
    ]
    changed = 0
    for tier, condition in bands:
        changed += (
            Customer.objects.alias(value=value)
            .filter(condition)
            .exclude(tier=tier)
            .update(tier=tier)
        )
    counts = {
        row["tier"]: row["n"]
        for row in Customer.objects.order_by().values("tier").annotate(n=Count("pk"))
    }
    default = django_settings.RENEWDESK["DEFAULT_CURRENCY"]
    skipped = tuple(
        sorted(
            set(
                Contract.objects.filter(
                    status=ContractStatus.ACTIVE, start_date__lte=as_of, end_date__gte=as_of
                )
                .exclude(currency__in=[default, *rates])
                .order_by()
                .values_list("currency", flat=True)
                .distinct()
            )
        )
    )
    tier_settings.last_recomputed_at = timezone.now()
    tier_settings.save(update_fields=["last_recomputed_at"])
    return TierRecomputeResult(
        as_of=as_of,
        changed=changed,
        counts={t.value: counts.get(t.value, 0) for t in Tier},
        overridden=Customer.objects.exclude(tier_override="").count(),
        skipped_currencies=skipped,
    )
