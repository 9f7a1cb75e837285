"""Writes of the relations app made by people: logging a planned contact (through the
insights relationship log), skipping one, and a team lead's changes to the team's tasks."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.models import Task
from core.services import task_complete
from insights.services import interaction_log

from .contact_plans import SATISFIED_BY
from .contact_states import planned_contact_change_locked
from .models import PlannedContact, PlannedContactStatus
from .teams import team_scope


def _lock_open(planned: PlannedContact) -> PlannedContact:
    locked = PlannedContact.objects.select_for_update().get(pk=planned.pk)
    if locked.status != PlannedContactStatus.PLANNED:
        raise DomainError(_("This contact has already been logged or skipped."))
    return locked


def _close_task(planned: PlannedContact, *, by: Any, outcome: str) -> None:
    if planned.task_id is None:
        return
    task = Task.objects.get(pk=planned.task_id)
    if task.done_at is None:
        # The manager logs for their own customer; a lead may log for the team.
        Task.objects.filter(pk=task.pk, done_at__isnull=True).update(
            done_at=timezone.now(), done_by=by, outcome=outcome[:2000]
        )


@transaction.atomic
def planned_contact_log(
    *,
    planned: PlannedContact,
    by: Any,
    summary: str,
    at: dt.datetime | None = None,
    next_follow_up: dt.date | None = None,
) -> PlannedContact:
    """Log the call, visit or review in the customer's relationship log and complete the
    planned contact and its task with it. The contact must fall on or after the day the
    planned contact counts from (an older one was already counted, or not)."""
    if not team_scope(by).includes(planned.customer.account_manager_id):
        raise DomainError(_("This customer is not in your team's book."))
    locked = _lock_open(planned)
    at = at or timezone.now()
    if timezone.localdate(at) < locked.opens_on:
        raise DomainError(
            _("This contact counts from %(day)s: choose a later date.")
            % {"day": f"{locked.opens_on:%Y-%m-%d}"}
        )
    if at > timezone.now():
        raise DomainError(_("A contact cannot be logged in the future."))
    interaction = interaction_log(
        customer=locked.customer,
        by=by,
        kind=SATISFIED_BY[locked.kind],
        summary=summary,
        at=at,
        next_follow_up=next_follow_up,
    )
    locked.interaction = interaction
    planned_contact_change_locked(
        locked,
        PlannedContactStatus.DONE,
        by=by,
        kind="logged",
        updates={"interaction": interaction, "done_at": timezone.now()},
    )
    _close_task(locked, by=by, outcome=interaction.summary)
    return locked


@transaction.atomic
def planned_contact_skip(*, planned: PlannedContact, by: Any, reason: str) -> PlannedContact:
    """Not needed this time (the customer asked for fewer calls, say); the next one is
    planned one cadence after this one's due date."""
    if not team_scope(by).includes(planned.customer.account_manager_id):
        raise DomainError(_("This customer is not in your team's book."))
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Say why this contact is skipped."))
    locked = _lock_open(planned)
    planned_contact_change_locked(
        locked,
        PlannedContactStatus.SKIPPED,
        by=by,
        kind="skipped",
        updates={"done_at": timezone.now()},
    )
    _close_task(locked, by=by, outcome=_("Skipped: %(reason)s") % {"reason": reason})
    return locked


@transaction.atomic
def task_reassign(*, task: Task, to: Any, by: Any, estimate_minutes: int | None = None) -> Task:
    """A team lead gives an open task of the team to another member (and may set its
    estimate). Only within the lead's team: both the current and the new owner must be
    in it."""
    scope = team_scope(by)
    locked = Task.objects.select_for_update().get(pk=task.pk)
    if not scope.is_lead or not scope.includes(locked.assignee_id):
        raise DomainError(_("This task is not in your team."))
    if not scope.staff().filter(pk=to.pk).exists():
        raise DomainError(_("Choose a member of your team."))
    if locked.done_at is not None:
        raise DomainError(_("This task is already done."))
    fields = ["assignee", "updated_at"]
    locked.assignee = to
    if estimate_minutes is not None:
        locked.estimate_minutes = estimate_minutes
        fields.append("estimate_minutes")
    locked.save(update_fields=fields)
    return locked


def task_finish(*, task: Task, by: Any, outcome: str) -> Task:
    """Complete a task with what came of it (core.services.task_complete's rule: one's
    own task, or any task for a user who sees every book)."""
    outcome = outcome.strip()
    if not outcome:
        raise DomainError(_("Write the outcome."))
    return task_complete(task=task, by=by, outcome=outcome[:2000])
