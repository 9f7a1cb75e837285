"""The staff feedback queue: its reads, and the staff reply that tells the customer.

The reply itself is written by portal.services (the same function the portal uses);
``feedback_staff_reply`` adds the message to the customer. Assignment is in
insights.services.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Case, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils import timezone

from core.access import customers_visible_to
from portal import services as portal_services
from portal.models import Feedback, FeedbackEvent, FeedbackReply, FeedbackStatus
from renewals import messaging

# Templates: insights/templates/emails/feedback_reply.{subject.txt,txt}.
FEEDBACK_REPLY_KIND = "feedback_reply"

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


def feedback_reply_link(*, reply: FeedbackReply) -> str:
    """The reply in the customer's feedback thread in the portal."""
    path = reverse("portal:feedback-detail", kwargs={"pk": reply.feedback_id})
    return f"{settings.SITE_URL}{path}#reply-{reply.pk}"


@transaction.atomic
def feedback_staff_reply(*, feedback: Feedback, by: Any, body: str) -> FeedbackReply:
    """A staff answer: the reply the customer sees in the portal thread and, once the
    transaction commits, a message carrying it to the customer on the channels they
    chose (email, in the portal), in their language, with a link to the thread.

    The message is keyed on the reply: each reply is sent once, however often this
    message is queued again (a retried task, a replayed on_commit)."""
    reply = portal_services.feedback_reply_add(feedback=feedback, by=by, body=body, from_staff=True)
    messaging.message_to_customer(
        kind=FEEDBACK_REPLY_KIND,
        customer=feedback.customer,
        contract=feedback.contract,
        context={
            "reference": feedback.reference,
            "subject": feedback.subject,
            "reply_body": reply.body,
            "portal_url": feedback_reply_link(reply=reply),
        },
        dedupe_key=f"{FEEDBACK_REPLY_KIND}:{reply.pk}",
    )
    return reply
