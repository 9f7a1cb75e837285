"""A customer invites a contact: the referral row and the invitation e-mail.

The invitation is a :class:`Referral` (its code is what the contact mentions when they
sign) and one e-mail through the notifications outbox, written in the same transaction:
an invitation is never stored without its message, nor a message without its invitation.
The outbox keeps messages per customer, so the message belongs to the inviting customer
(staff find it in the outbox under that customer) and goes to the contact's address, in
the inviting customer's language (that is who wrote to the contact).

A customer may send at most :data:`INVITATIONS_PER_DAY` invitations in 24 hours and
invites an address once; the customer's row is locked while counting, so two requests at
once cannot both pass the limit.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from customers.models import Contact, Customer
from notifications.models import Channel
from notifications.services import message_enqueue

from .models import Referral

INVITATION_KIND = "referral_invitation"
INVITATIONS_PER_DAY = 10
LIMIT_WINDOW = dt.timedelta(hours=24)


def invitations_sent_recently(*, referrer: Customer, now: dt.datetime | None = None) -> int:
    """How many invitations the customer sent in the last 24 hours."""
    since = (now or timezone.now()) - LIMIT_WINDOW
    return Referral.objects.filter(referrer=referrer, created_at__gt=since).count()


def referral_invite(
    *,
    referrer: Customer,
    contact_name: str,
    contact_email: str,
    contact_phone: str = "",
    company: str = "",
) -> Referral:
    """Store the invitation and queue its e-mail to the contact. Refused (DomainError,
    with a message for the customer) without a name or address, for one of the
    customer's own contacts, for an address the customer already invited and beyond the
    daily limit."""
    name = contact_name.strip()[:100]
    email = contact_email.strip().lower()
    if not name or not email:
        raise DomainError(_("Give the contact's name and e-mail address."))
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=referrer.pk)
        if Contact.objects.filter(customer=locked, email__iexact=email).exists():
            raise DomainError(_("This person is already one of your own contacts."))
        if Referral.objects.filter(referrer=locked, contact_email=email).exists():
            raise DomainError(_("You have already invited this e-mail address."))
        if invitations_sent_recently(referrer=locked) >= INVITATIONS_PER_DAY:
            raise DomainError(
                _("You can send at most %(limit)s invitations a day. Please try again tomorrow.")
                % {"limit": INVITATIONS_PER_DAY}
            )
        referral = Referral.objects.create(
            referrer=locked,
            contact_name=name,
            contact_email=email,
            contact_phone=contact_phone.strip()[:40],
            company=company.strip()[:200],
            token=f"R{secrets.token_hex(5).upper()}",
        )
        message_enqueue(
            recipient_customer=locked,
            to_address=email,
            channel=Channel.EMAIL,
            kind=INVITATION_KIND,
            language=locked.language,
            context={
                "contact_name": referral.contact_name,
                "referrer_name": locked.name,
                "code": referral.token,
                "site_url": settings.SITE_URL,
            },
            dedupe_key=f"{INVITATION_KIND}:{referral.pk}",
        )
    return referral
