"""The staff feedback queue: its reads. The writes (assignment, the staff reply that
tells the customer) are in insights.services."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from customers.access import customers_visible_to
from portal.models import Feedback, FeedbackEvent, FeedbackReply, FeedbackStatus

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
        .select_related("customer", "customer__account_manager", "contract", "submitted_by")
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
