"""Writes of the insights app: the relationship log, feedback assignment and the staff
reply to feedback."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.models import TaskKind
from core.services import in_language_of, task_create
from customers.models import Customer
from notifications import customer_messages

from .feedback import feedback_reply_add
from .models import (
    Feedback,
    FeedbackAssignment,
    FeedbackReply,
    FeedbackStatus,
    Interaction,
    InteractionKind,
)

# Templates: insights/templates/emails/feedback_reply.{subject.txt,txt}.
FEEDBACK_REPLY_KIND = "feedback_reply"


@transaction.atomic
def interaction_log(
    *,
    customer: Customer,
    by: Any,
    kind: str,
    summary: str,
    at: dt.datetime | None = None,
    next_follow_up: dt.date | None = None,
) -> Interaction:
    """Record a call, visit, email, meeting or note; a next follow-up date becomes a task
    for the customer's account manager (or the author when there is none)."""
    if kind not in InteractionKind.values:
        raise DomainError(_("Choose what kind of contact this was."))
    summary = summary.strip()
    if not summary:
        raise DomainError(_("Write a short summary."))
    at = at or timezone.now()
    if next_follow_up is not None and next_follow_up < timezone.localdate():
        raise DomainError(_("The next follow-up cannot be in the past."))
    interaction = Interaction.objects.create(
        customer=customer, kind=kind, at=at, summary=summary, by=by, next_follow_up=next_follow_up
    )
    if next_follow_up is not None:
        assignee = customer.account_manager or by
        with in_language_of(assignee):
            task, _created = task_create(
                assignee=assignee,
                kind=TaskKind.FOLLOW_UP,
                title=_("Follow up with %(customer)s") % {"customer": customer.name},
                details=summary[:2000],
                due_date=next_follow_up,
                customer=customer,
                # One task per log entry, however often the form is re-posted.
                dedupe_key=f"interaction:{interaction.pk}",
            )
        interaction.follow_up_task = task
        interaction.save(update_fields=["follow_up_task", "updated_at"])
    return interaction


@transaction.atomic
def feedback_assign(*, feedback: Feedback, assignee: Any, by: Any) -> FeedbackAssignment:
    """(Re)assign a feedback item; the assignee gets a task due at the answer deadline
    (a new task per assignee, so reassigning hands the work over)."""
    if not assignee.is_staff or not assignee.is_active:
        raise DomainError(_("Feedback can only be assigned to an active staff member."))
    if feedback.status == FeedbackStatus.CLOSED:
        raise DomainError(_("This request is closed."))
    assignment, _created = FeedbackAssignment.objects.update_or_create(
        feedback=feedback,
        defaults={"assignee": assignee, "assigned_by": by, "assigned_at": timezone.now()},
    )
    with in_language_of(assignee):
        task_create(
            assignee=assignee,
            kind=TaskKind.FEEDBACK,
            title=_("Answer %(ref)s: %(subject)s")
            % {"ref": feedback.reference, "subject": feedback.subject},
            details=feedback.body[:2000],
            due_date=max(timezone.localtime(feedback.sla_due_at).date(), timezone.localdate()),
            customer=feedback.customer,
            contract=feedback.contract,
            dedupe_key=f"feedback:{feedback.pk}:assignee:{assignee.pk}",
        )
    return assignment


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
    reply = feedback_reply_add(feedback=feedback, by=by, body=body, from_staff=True)
    customer_messages.message_to_customer(
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
