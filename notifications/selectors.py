"""Reads over the outbox."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from contracts.access import contracts_visible_to
from customers.access import customers_visible_to
from customers.models import Contact

from .models import Channel, Message, MessageKind, MessageStatus

# What staff read for Message.kind. A kind is any template name (other apps add their own,
# see MessageKind), so this is a label map rather than model choices: an unknown kind shows
# its key instead of failing.
MESSAGE_KIND_LABELS = {
    MessageKind.RENEWAL_REMINDER: _("Renewal reminder"),
    MessageKind.MESSAGE_FAILED: _("Delivery failure alert"),
    MessageKind.CARE_BIRTHDAY: _("Birthday greeting"),
    MessageKind.CARE_COMPANY_ANNIVERSARY: _("Company anniversary greeting"),
    MessageKind.CARE_SPRING_FESTIVAL: _("Spring Festival greeting"),
    MessageKind.CARE_MID_AUTUMN: _("Mid-Autumn Festival greeting"),
    MessageKind.CARE_CONTRACT_ANNIVERSARY: _("Contract anniversary greeting"),
    "portal_login_link": _("Portal login link"),
    "renewal_quote_sent": _("Renewal quote sent"),
    "renewal_signed": _("Renewal signed"),
    "renewal_intent_staff": _("Customer's renewal answer (staff)"),
    "auto_renewal_confirmation": _("Automatic renewal confirmation"),
    "auto_renewal_blocked": _("Automatic renewal blocked"),
    "auto_renewal_blocked_staff": _("Automatic renewal blocked (staff)"),
    "dunning": _("Payment reminder"),
    "satisfaction_survey": _("Satisfaction survey"),
    "feedback_reply": _("Reply to feedback"),
    "cancellation_submitted": _("Cancellation request received"),
    "cancellation_offer": _("Retention offer"),
    "cancellation_offer_accepted": _("Retention offer accepted"),
    "cancellation_confirmed": _("Cancellation confirmed"),
    "cancellation_rejected": _("Cancellation rejected"),
    "cancellation_withdrawn": _("Cancellation withdrawn"),
    "cancellation_completed": _("Cancellation completed"),
}


def message_kind_label(kind: str) -> str:
    """The translated label of a message kind; the key itself for a kind not listed."""
    label = MESSAGE_KIND_LABELS.get(kind)
    return str(label) if label is not None else kind


def renewal_notice_delivered(*, contract: Any) -> bool:
    """True when a renewal reminder for the contract's current term was delivered (sent,
    or confirmed delivered by an SMS receipt) on any channel. An SMS the provider reported
    undelivered does not count. Auto-renewal relies on this: no delivered notice, no
    silent renewal."""
    return Message.objects.filter(
        contract_id=contract.pk,
        kind=MessageKind.RENEWAL_REMINDER,
        term_end=contract.end_date,
        status__in=[MessageStatus.SENT, MessageStatus.DELIVERED],
    ).exists()


def inbox_for_customer(*, customer: Any) -> QuerySet[Message]:
    """The customer's portal inbox: in-app messages, newest first."""
    return Message.objects.filter(
        customer_id=customer.pk, channel=Channel.IN_APP, status=MessageStatus.SENT
    ).order_by("-created_at", "-id")


def inbox_unread_count(*, customer: Any) -> int:
    return inbox_for_customer(customer=customer).filter(read_at__isnull=True).count()


def staff_notifications_for(*, user: Any) -> QuerySet[Message]:
    return Message.objects.filter(user_id=user.pk, channel=Channel.IN_APP).order_by(
        "-created_at", "-id"
    )


def staff_unread_count(*, user: Any) -> int:
    if not (user and user.is_authenticated and user.is_staff):
        return 0
    return staff_notifications_for(user=user).filter(read_at__isnull=True).count()


def messages_for_contract(*, contract: Any) -> QuerySet[Message]:
    return Message.objects.filter(contract_id=contract.pk).order_by("-created_at", "-id")


def messages_visible_to(*, user: Any) -> QuerySet[Message]:
    """Messages a staff user may open: their own notifications, messages to customers they
    may see, and every message about a contract they may see (the contract page lists them
    all, staff alerts and rows without a recipient included)."""
    if not (user and user.is_authenticated and user.is_staff):
        return Message.objects.none()
    return Message.objects.filter(
        Q(user_id=user.pk)
        | Q(customer__in=customers_visible_to(user))
        | Q(contract__in=contracts_visible_to(user))
    )


def outbox_for_staff(
    *,
    user: Any,
    status: str = "",
    channel: str = "",
    kind: str = "",
    q: str = "",
) -> QuerySet[Message]:
    """Customer messages about what the staff user may see (core.access), filtered."""
    qs = Message.objects.filter(customer__in=customers_visible_to(user)).select_related(
        "customer", "contract"
    )
    if status in MessageStatus.values:
        qs = qs.filter(status=status)
    if channel in Channel.values:
        qs = qs.filter(channel=channel)
    if kind:
        qs = qs.filter(kind=kind)
    if q.strip():
        term = q.strip()
        qs = qs.filter(Q(contract__number__icontains=term) | Q(to_address__iexact=term))
    return qs.order_by("-created_at", "-id")


def primary_contacts(*, customer_ids: set[int]) -> dict[int, dict[str, str]]:
    """Primary (else first) email and phone per customer, in one query."""
    out: dict[int, dict[str, str]] = {}
    rows = (
        Contact.objects.filter(customer_id__in=customer_ids)
        .order_by("customer_id", "-is_primary", "id")
        .values_list("customer_id", "email", "phone")
    )
    for customer_id, email, phone in rows:
        entry = out.setdefault(customer_id, {"email": "", "phone": ""})
        if email and not entry["email"]:
            entry["email"] = email
        if phone and not entry["phone"]:
            entry["phone"] = phone
    return out
