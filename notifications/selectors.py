"""Reads over the outbox."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from compliance.calendar import local_day
from compliance.models import ALL_PROOFS, DeliveryProof
from compliance.rules import NoticeWindow
from contracts.access import contracts_visible_to
from customers.access import customers_visible_to
from customers.models import Contact

from .models import Channel, Message, MessageKind, MessageStatus

EVERY_PROOF = frozenset(ALL_PROOFS)

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
    "auto_renewal_open_ended": _("Contract continues with no fixed end"),
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
    "satisfaction_survey_request": _("Satisfaction survey invitation"),
    "auto_renew_switched_on": _("Automatic renewal switched on"),
    "auto_renew_switched_off": _("Automatic renewal switched off"),
    "auto_renewal_undone": _("Automatic renewal undone"),
    "contract_withdrawn": _("Withdrawal from the contract confirmed"),
    # relations (issue #16): campaigns and service level compensation claims
    "campaign": _("Campaign message"),
    "sla_claim_filed_staff": _("Compensation claim filed (staff)"),
    "sla_claim_approved": _("Compensation claim approved"),
    "sla_claim_rejected": _("Compensation claim rejected"),
    # loyalty (issue #16): a customer's invitation to a contact
    "referral_invitation": _("Referral invitation"),
}


def message_kind_label(kind: str) -> str:
    """The translated label of a message kind; the key itself for a kind not listed."""
    label = MESSAGE_KIND_LABELS.get(kind)
    return str(label) if label is not None else kind


def renewal_notice_deliveries(
    *, contract: Any, proofs: Collection[str] = EVERY_PROOF
) -> list[tuple[Message, dt.datetime]]:
    """Each renewal reminder for the contract's current term that reached the customer,
    with the moment it did, counting only the ``proofs`` given (compliance.DeliveryProof;
    a rule set says which count): an e-mail the receiving server accepted (sent, at
    ``sent_at``), an SMS with a provider's delivery receipt (delivered, at
    ``delivered_at``; a console or file SMS never gets one), a portal message the customer
    read (at ``read_at``). An undelivered or unread notice does not count."""
    reached = Q(pk__in=[])
    if DeliveryProof.EMAIL_ACCEPTED in proofs:
        reached |= Q(
            channel=Channel.EMAIL,
            status__in=[MessageStatus.SENT, MessageStatus.DELIVERED],
            sent_at__isnull=False,
        )
    if DeliveryProof.SMS_RECEIPT in proofs:
        reached |= Q(
            channel=Channel.SMS, status=MessageStatus.DELIVERED, delivered_at__isnull=False
        )
    if DeliveryProof.PORTAL_READ in proofs:
        reached |= Q(channel=Channel.IN_APP, read_at__isnull=False)
    rows = Message.objects.filter(
        reached,
        contract_id=contract.pk,
        kind=MessageKind.RENEWAL_REMINDER,
        term_end=contract.end_date,
    ).order_by("id")
    out = []
    for message in rows:
        moments: dict[str, dt.datetime | None] = {
            Channel.EMAIL.value: message.sent_at,
            Channel.SMS.value: message.delivered_at,
            Channel.IN_APP.value: message.read_at,
        }
        moment = moments.get(message.channel)
        if moment is not None:
            out.append((message, moment))
    return out


def renewal_notice_delivered(
    *,
    contract: Any,
    proofs: Collection[str] = EVERY_PROOF,
    window: NoticeWindow | None = None,
    zone: ZoneInfo | None = None,
) -> bool:
    """True when a renewal reminder for the contract's current term reached the customer
    (``renewal_notice_deliveries``), and, given a ``window``, on one of its days in the
    customer's calendar (``zone``). Auto-renewal relies on this: no notice delivered in
    time, no silent renewal (lifecycle/compliance_renewal.py)."""
    for _message, moment in renewal_notice_deliveries(contract=contract, proofs=proofs):
        if window is None:
            return True
        if zone is None:
            raise ValueError("a window needs the customer's zone")
        if window.contains(local_day(moment, zone)):
            return True
    return False


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
