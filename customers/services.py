"""Writes to customers go through here."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError

from .models import Contact, Customer, PortalAccount

CUSTOMER_FIELDS = {
    "code",
    "name",
    "kind",
    "account_manager",
    "language",
    "country",
    "region",
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


def language_preference_set(*, user: Any, language: str) -> None:
    """Keep a logged-in user's choice of language (the language switcher): the user's own
    ``language`` and, for a portal user, the customer's (tasks, notifications and e-mails
    are written in these, not in the interface's cookie). The caller checks that the
    language is one of ``settings.LANGUAGES``."""
    if user.language != language:
        get_user_model().objects.filter(pk=user.pk).update(language=language)
        user.language = language
    account = PortalAccount.objects.select_related("customer").filter(user_id=user.pk).first()
    if account is not None and account.customer.language != language:
        customer_update(customer=account.customer, by=user, language=language)
