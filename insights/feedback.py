"""Customer feedback and complaints: the staff queue's reads, and the writes shared by the
portal and the staff pages (submission, replies, status through insights.feedback_states).
Assignment and the staff reply that tells the customer are in insights.services."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Case, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts.models import Contract
from core.errors import DomainError
from core.models import TaskKind
from core.services import in_language_of, task_create
from customers.access import customers_visible_to
from customers.models import Customer
from loyalty.models import Level
from loyalty.sla import priority_response_hours

from .feedback_states import feedback_change, feedback_opened_event
from .models import (
    Feedback,
    FeedbackChannel,
    FeedbackEvent,
    FeedbackReply,
    FeedbackSeverity,
    FeedbackStatus,
)

OPEN = (FeedbackStatus.OPEN, FeedbackStatus.IN_PROGRESS)


def feedback_for_staff(
    *, user: Any, show: str = "open", category: str = "", mine: bool = False
) -> QuerySet[Feedback]:
    """Feedback of the customers in the user's book. Unanswered items past their answer
    deadline first, then by deadline (served by the feedback_status_due index)."""
    qs = Feedback.objects.filter(customer__in=customers_visible_to(user))
    if show == "open":
        qs = qs.filter(status__in=OPEN)
    elif show == "overdue":
        qs = qs.filter(
            status=FeedbackStatus.OPEN,
            first_response_at__isnull=True,
            sla_due_at__lt=timezone.now(),
        )
    elif show in FeedbackStatus.values:
        qs = qs.filter(status=show)
    if category:
        qs = qs.filter(category=category)
    if mine:
        qs = qs.filter(
            Q(assignment__assignee=user)
            | Q(assignment__isnull=True, customer__account_manager=user)
        )
    overdue = Case(
        When(
            status=FeedbackStatus.OPEN,
            first_response_at__isnull=True,
            sla_due_at__lt=timezone.now(),
            then=Value(0),
        ),
        default=Value(1),
        output_field=IntegerField(),
    )
    return (
        qs.select_related(
            "customer", "customer__account_manager", "contract", "assignment__assignee"
        )
        .annotate(overdue_rank=overdue)
        .order_by("overdue_rank", "sla_due_at", "id")
    )


def feedback_get_for_staff(*, user: Any, pk: int) -> Feedback:
    """Raises Feedback.DoesNotExist outside the user's book (the view answers 404)."""
    return (
        Feedback.objects.filter(customer__in=customers_visible_to(user))
        .select_related(
            "customer",
            "customer__account_manager",
            "contract",
            "submitted_by",
            "sla_priority_level",
        )
        .prefetch_related(
            Prefetch(
                "replies",
                queryset=FeedbackReply.objects.select_related("author").order_by(
                    "created_at", "id"
                ),
            ),
            Prefetch(
                "events",
                queryset=FeedbackEvent.objects.select_related("actor").order_by("at", "id"),
            ),
        )
        .get(pk=pk)
    )


def feedback_assignee(feedback: Feedback) -> Any:
    try:
        return feedback.assignment.assignee
    except Feedback.assignment.RelatedObjectDoesNotExist:
        return None


# --- writes: submission, replies, status ---------------------------------------------

DEFAULT_SLA_HOURS: dict[str, int] = {
    FeedbackSeverity.CRITICAL: 4,
    FeedbackSeverity.HIGH: 24,
    FeedbackSeverity.NORMAL: 48,
    FeedbackSeverity.LOW: 120,
}


def feedback_sla_due(*, severity: str, at: dt.datetime) -> dt.datetime:
    """Calendar hours by severity (settings.RENEWDESK["FEEDBACK_SLA_HOURS"] overrides)."""
    hours = {**DEFAULT_SLA_HOURS, **settings.RENEWDESK.get("FEEDBACK_SLA_HOURS", {})}
    return at + dt.timedelta(hours=hours.get(severity, DEFAULT_SLA_HOURS["normal"]))


@dataclass(frozen=True)
class FeedbackDeadline:
    """When the first answer is due, and the member level whose priority response
    privilege made it earlier than the severity's (None when it did not)."""

    due_at: dt.datetime
    priority_hours: int | None = None
    priority_level: Level | None = None


def feedback_deadline(*, customer: Customer, severity: str, at: dt.datetime) -> FeedbackDeadline:
    """The earlier of the severity's deadline and the customer's priority response
    (loyalty.sla: their member level on the business date of ``at``)."""
    due = feedback_sla_due(severity=severity, at=at)
    priority = priority_response_hours(customer=customer, on=timezone.localdate(at))
    if priority is not None:
        hours, level = priority
        sooner = at + dt.timedelta(hours=hours)
        if sooner < due:
            return FeedbackDeadline(due_at=sooner, priority_hours=hours, priority_level=level)
    return FeedbackDeadline(due_at=due)


def feedback_sla_table(*, priority_hours: int | None = None) -> list[tuple[str, int]]:
    """(severity label, hours to the first answer), most severe first, for the form;
    with ``priority_hours`` (a member's priority response) no row promises longer."""
    hours = {**DEFAULT_SLA_HOURS, **settings.RENEWDESK.get("FEEDBACK_SLA_HOURS", {})}
    order = [
        FeedbackSeverity.CRITICAL,
        FeedbackSeverity.HIGH,
        FeedbackSeverity.NORMAL,
        FeedbackSeverity.LOW,
    ]
    rows = []
    for s in order:
        h = int(hours[s])
        if priority_hours is not None:
            h = min(h, priority_hours)
        rows.append((str(FeedbackSeverity(s).label), h))
    return rows


def feedback_sla_for_customer(
    *, customer: Customer, on: dt.date
) -> tuple[list[tuple[str, int]], tuple[int, Level] | None]:
    """What the portal's form promises this customer: the table by severity (shortened
    by their priority response, if their member level on ``on`` has one) and that
    priority as (hours, level)."""
    priority = priority_response_hours(customer=customer, on=on)
    table = feedback_sla_table(priority_hours=priority[0] if priority else None)
    return table, priority


@transaction.atomic
def feedback_submit(
    *,
    customer: Customer,
    by: Any,
    category: str,
    severity: str,
    subject: str,
    body: str,
    contract: Contract | None = None,
    channel: str = FeedbackChannel.PORTAL,
) -> Feedback:
    if contract is not None and contract.customer_id != customer.pk:
        raise DomainError(_("This contract does not belong to your account."))
    now = timezone.now()
    deadline = feedback_deadline(customer=customer, severity=severity, at=now)
    feedback = Feedback.objects.create(
        customer=customer,
        contract=contract,
        submitted_by=by,
        channel=channel,
        category=category,
        severity=severity,
        subject=subject.strip(),
        body=body.strip(),
        sla_due_at=deadline.due_at,
        sla_priority_hours=deadline.priority_hours,
        sla_priority_level=deadline.priority_level,
    )
    feedback_opened_event(feedback, by=by)
    if customer.account_manager_id:
        with in_language_of(customer.account_manager):
            task_create(
                assignee=customer.account_manager,
                kind=TaskKind.FEEDBACK,
                title=_("Answer %(ref)s: %(subject)s")
                % {"ref": feedback.reference, "subject": feedback.subject},
                details=feedback.body[:2000],
                due_date=timezone.localtime(feedback.sla_due_at).date(),
                customer=customer,
                contract=contract,
                dedupe_key=f"feedback:{feedback.pk}",
            )
    return feedback


def feedback_set_status(*, feedback: Feedback, to: str, by: Any, note: str = "") -> Feedback:
    return feedback_change(feedback, to, by=by, note=note)


@transaction.atomic
def feedback_reply_add(
    *, feedback: Feedback, by: Any, body: str, from_staff: bool
) -> FeedbackReply:
    """Add a reply. A first staff answer starts the work (open → in progress) and meets
    the response SLA; a customer's reply to a resolved item reopens it."""
    locked = Feedback.objects.select_for_update().get(pk=feedback.pk)
    if locked.status == FeedbackStatus.CLOSED:
        raise DomainError(_("This request is closed. Please open a new one."))
    body = body.strip()
    if not body:
        raise DomainError(_("Write a reply first."))
    reply = FeedbackReply.objects.create(
        feedback=locked, author=by, from_staff=from_staff, body=body
    )
    if from_staff:
        if locked.first_response_at is None:
            Feedback.objects.filter(pk=locked.pk).update(first_response_at=reply.created_at)
        if locked.status == FeedbackStatus.OPEN:
            feedback_change(locked, FeedbackStatus.IN_PROGRESS, by=by)
    elif locked.status == FeedbackStatus.RESOLVED:
        feedback_change(locked, FeedbackStatus.IN_PROGRESS, by=by, note="reopened by customer")
    feedback.refresh_from_db()
    return reply
