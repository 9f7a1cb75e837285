from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.models import Task


@contextmanager
def in_language_of(user: Any) -> Iterator[None]:
    """Word what is written once for one staff member (a task's title and details) in
    their language, not in the active one: that is the customer's when the customer acted
    in the portal, the acting colleague's, or the worker's default. Build the strings
    inside the block: ``with in_language_of(owner): task_create(assignee=owner, ...)``."""
    with translation.override(getattr(user, "language", "") or settings.LANGUAGE_CODE):
        yield


def task_create(
    *,
    assignee: Any,
    kind: str,
    title: str,
    due_date: dt.date,
    details: str = "",
    customer: Any = None,
    contract: Any = None,
    dedupe_key: str | None = None,
    estimate_minutes: int | None = None,
) -> tuple[Task, bool]:
    """Create a task; with a dedupe key, a second call returns the first task (created=False)."""
    if dedupe_key:
        existing = Task.objects.filter(dedupe_key=dedupe_key).first()
        if existing:
            return existing, False
    try:
        with transaction.atomic():
            task = Task.objects.create(
                assignee=assignee,
                kind=kind,
                title=title[:300],
                details=details,
                due_date=due_date,
                customer=customer,
                contract=contract,
                dedupe_key=dedupe_key,
                estimate_minutes=estimate_minutes,
            )
            return task, True
    except IntegrityError:
        # Another worker created the same deduplicated task first.
        return Task.objects.get(dedupe_key=dedupe_key), False


def task_complete(*, task: Task, by: Any, outcome: str = "") -> Task:
    """Mark done once (a second call changes nothing), with what came of it."""
    if task.assignee_id != by.pk and not by.is_team_lead:
        raise DomainError(_("You can only complete your own tasks."))
    updated = Task.objects.filter(pk=task.pk, done_at__isnull=True).update(
        done_at=timezone.now(), done_by=by, outcome=outcome.strip()
    )
    task.refresh_from_db()
    return task if updated or task.done_at else task
