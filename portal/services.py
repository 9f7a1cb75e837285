"""Writes made from the portal: login links, preferences, contacts, feedback."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError
from core.tokens import TokenExpired, TokenInvalid, token_make, token_read
from customers.models import Contact, Customer
from customers.services import contact_save, customer_update

# Feedback is an insights model; the portal's pages take it through these.
from insights.feedback import (
    feedback_reply_add,
    feedback_set_status,
    feedback_sla_due,
    feedback_sla_for_customer,
    feedback_sla_table,
    feedback_submit,
)
from notifications.services import message_deliver_now, message_enqueue

logger = logging.getLogger(__name__)
User = get_user_model()

MAGIC_LINK_PURPOSE = "portal_login"
LOGIN_LINK_KIND = "portal_login_link"

__all__ = [
    "MagicLinkUsed",
    "TokenExpired",
    "TokenInvalid",
    "customer_preferences_update",
    "feedback_reply_add",
    "feedback_set_status",
    "feedback_sla_due",
    "feedback_sla_for_customer",
    "feedback_sla_table",
    "feedback_submit",
    "magic_link_consume",
    "magic_link_make",
    "magic_link_request",
    "magic_link_user",
    "portal_contact_update",
    "portal_user_for_email",
]


class MagicLinkUsed(TokenInvalid):
    code = "token_used"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            str(message or gettext_lazy("This link has already been used. Ask for a new one."))
        )


# --- Login by magic link ---------------------------------------------------------------


def portal_user_for_email(email: str) -> Any | None:
    """The active portal user with this address (case-insensitive), or None."""
    email = (email or "").strip()
    if not email:
        return None
    return (
        User.objects.filter(email__iexact=email, is_active=True, portal_account__isnull=False)
        .order_by("pk")
        .first()
    )


def _login_state(user: Any) -> str:
    """A fingerprint of what a login link must still match when it is used.

    It changes when the user logs in (last_login: this makes a link single use), changes
    address (the link is bound to the address it was sent to), changes password or is
    deactivated.
    """
    last_login = user.last_login.isoformat() if user.last_login else ""
    value = f"{user.pk}|{(user.email or '').lower()}|{last_login}|{user.password}|{user.is_active}"
    return salted_hmac("renewdesk.portal.magic-link", value).hexdigest()[:40]


def magic_link_make(*, user: Any) -> str:
    return token_make(
        purpose=MAGIC_LINK_PURPOSE,
        obj_id=f"{user.pk}:{_login_state(user)}",
        max_age=settings.RENEWDESK["MAGIC_LINK_MAX_AGE"],
    )


def _user_from_token(token: str, *, lock: bool) -> Any:
    value = token_read(token=token, purpose=MAGIC_LINK_PURPOSE)
    if not isinstance(value, str) or ":" not in value:
        raise TokenInvalid()
    pk, state = value.split(":", 1)
    qs = User.objects.filter(is_active=True, portal_account__isnull=False)
    if lock:
        qs = qs.select_for_update(of=("self",))
    try:
        user = qs.get(pk=int(pk))
    except (User.DoesNotExist, ValueError) as exc:
        raise TokenInvalid() from exc
    if not constant_time_compare(state, _login_state(user)):
        raise MagicLinkUsed()
    return user


def magic_link_user(*, token: str) -> Any:
    """The user a link logs in, without using it (for the confirmation page).

    Raises TokenInvalid (tampered, wrong purpose), TokenExpired, or MagicLinkUsed.
    """
    return _user_from_token(token, lock=False)


def magic_link_consume(*, token: str) -> Any:
    """Use a login link: returns its user and makes the link (and older ones) unusable.

    The user row is locked and last_login moved in the same transaction, so two
    simultaneous clicks on one link cannot both log in.
    """
    with transaction.atomic():
        user = _user_from_token(token, lock=True)
        user.last_login = timezone.now()
        user.save(update_fields=["last_login"])
    return user


def magic_link_request(*, email: str) -> bool:
    """E-mail a login link if the address belongs to a portal user.

    Returns whether a link was sent; the view must NOT tell the visitor (the page says
    the same thing either way so that nobody can probe which addresses are customers).
    The e-mail goes through the notifications outbox (audit trail, retries) and is
    delivered at once rather than at the next sweep: a login link cannot wait.
    """
    user = portal_user_for_email(email)
    if user is None:
        logger.info("portal login link requested for an unknown address")
        return False
    token = magic_link_make(user=user)
    url = settings.SITE_URL + reverse("portal:magic-link", kwargs={"token": token})
    message = message_enqueue(
        recipient_user=user,
        channel="email",
        kind=LOGIN_LINK_KIND,
        language=user.language or settings.LANGUAGE_CODE,
        context={
            "name": user.get_full_name() or user.username,
            "url": url,
            "minutes": settings.RENEWDESK["MAGIC_LINK_MAX_AGE"] // 60,
        },
        # One message per link: the token is unique, its hash keeps it out of the key.
        dedupe_key=f"portal_login:{user.pk}:{hashlib.sha256(token.encode()).hexdigest()[:32]}",
    )
    if message is None:
        return False
    message_deliver_now(message.pk)
    return True


# --- Preferences and contacts ----------------------------------------------------------


@transaction.atomic
def customer_preferences_update(
    *,
    customer: Customer,
    user: Any,
    notify_email: bool,
    notify_sms: bool,
    notify_in_app: bool,
    language: str,
) -> Customer:
    """Save notification channels and language for the customer and the user's interface."""
    if language not in dict(settings.LANGUAGES):
        raise DomainError(_("Choose one of the offered languages."))
    customer_update(
        customer=customer,
        by=user,
        notify_email=notify_email,
        notify_sms=notify_sms,
        notify_in_app=notify_in_app,
        language=language,
    )
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return customer


def portal_contact_update(*, customer: Customer, user: Any, contact: Contact, **fields: Any):
    if contact.customer_id != customer.pk:
        # The view already scoped the lookup; this guards any other caller.
        raise DomainError(_("This contact does not belong to your account."))
    allowed = {"name", "email", "phone", "role"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"fields not editable from the portal: {sorted(unknown)}")
    return contact_save(customer=customer, by=user, contact=contact, **fields)
