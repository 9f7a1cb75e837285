"""Complaints past their answer deadline escalate to the team lead of whoever works them,
once: a sweep every few minutes (the deadlines are hours, not days) writes one
``ComplaintEscalation`` per complaint and a task for the lead, in one transaction. The
complaint is unique on the escalation row, so a second sweep (or two at once) escalates
nothing twice; the task has a dedupe key as well.

The same sweep closes the lead's task once the complaint is answered or no longer open
(:func:`escalation_tasks_close`): the lead's list then shows only what still needs them,
within one sweep's interval of the answer, without a reaction of its own."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.models import Task, TaskKind
from core.services import task_create
from insights.feedback import feedback_assignee
from insights.models import Feedback, FeedbackStatus

from .models import ComplaintEscalation
from .selectors import overdue_complaints

logger = logging.getLogger(__name__)
BATCH = 500


def escalation_target(feedback: Feedback) -> Any:
    """The lead of whoever works the complaint (its assignee, else the account manager);
    the worker themself when they have no lead, as the renewal reminders do."""
    worker = feedback_assignee(feedback) or feedback.customer.account_manager
    if worker is None:
        return None
    return worker.team_lead or worker


def complaints_escalate(*, now: dt.datetime, batch_size: int = BATCH) -> int:
    """Escalate every overdue complaint not escalated yet; returns how many were."""
    due = (
        overdue_complaints(now=now)
        .filter(escalation__isnull=True)
        .select_related(
            "customer__account_manager__team_lead",
            "assignment__assignee__team_lead",
            "contract",
        )
        .order_by("sla_due_at", "pk")[:batch_size]
    )
    escalated = 0
    for feedback in due:
        lead = escalation_target(feedback)
        if lead is None:
            logger.warning("complaint %s is overdue and nobody works it", feedback.reference)
            continue
        if _escalate(feedback, lead=lead, now=now):
            escalated += 1
    return escalated


def _escalate(feedback: Feedback, *, lead: Any, now: dt.datetime) -> bool:
    with translation.override(lead.language):
        title = _("Overdue complaint %(ref)s: %(subject)s") % {
            "ref": feedback.reference,
            "subject": feedback.subject,
        }
        details = _("No answer by %(due)s (customer %(customer)s).") % {
            "due": f"{timezone.localtime(feedback.sla_due_at):%Y-%m-%d %H:%M}",
            "customer": feedback.customer.name,
        }
    try:
        with transaction.atomic():
            escalation = ComplaintEscalation.objects.create(
                feedback=feedback, escalated_to=lead, at=now
            )
            task, _created = task_create(
                assignee=lead,
                kind=TaskKind.ESCALATION,
                title=title,
                details=details,
                due_date=timezone.localdate(now),
                customer=feedback.customer,
                contract=feedback.contract,
                dedupe_key=f"complaint_escalation:{feedback.pk}",
            )
            escalation.task = task
            escalation.save(update_fields=["task"])
    except IntegrityError:
        # Another sweep escalated it between our read and this insert.
        return False
    return True


def escalation_tasks_close(*, now: dt.datetime, batch_size: int = BATCH) -> int:
    """Complete the lead's escalation task of every complaint answered (or resolved,
    closed) since it escalated; returns how many tasks were closed. A task the lead
    already completed is left as they wrote it."""
    answered = Q(feedback__first_response_at__isnull=False) | ~Q(
        feedback__status=FeedbackStatus.OPEN
    )
    rows = (
        ComplaintEscalation.objects.filter(answered, task__isnull=False, task__done_at__isnull=True)
        .select_related("feedback", "escalated_to")
        .order_by("at", "pk")[:batch_size]
    )
    closed = 0
    for escalation in rows:
        if escalation.task_id is None:  # (excluded by the filter)
            continue
        feedback = escalation.feedback
        with translation.override(escalation.escalated_to.language):
            outcome = _("Complaint %(ref)s was answered; closed automatically.") % {
                "ref": feedback.reference
            }
        # Compare-and-swap on done_at: the lead completing it at the same moment wins
        # (core.services.task_complete checks a user, here the complaint's answer closes it).
        closed += Task.objects.filter(pk=escalation.task_id, done_at__isnull=True).update(
            done_at=now, done_by=None, outcome=outcome
        )
    return closed
