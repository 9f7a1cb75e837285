"""The daily sweep: the reminders, staff tasks and escalations due on a day.

On PostgreSQL it is set-based (sweep_statement.py): one statement per batch reads the due
rows by the schedule's index, inserts the reminders and tasks and moves the schedules.
On other databases (the SQLite of `make run`, which has no schedule and no data-modifying
CTEs) sweep_portable.py applies the same rules in Python.

Whether a customer has answered the renewal question is renewals' knowledge, above
notifications: the caller passes that read in (``customer_responded``, asked once per sweep
with the contracts close enough to be escalated). The daily entry point that does so is
``lifecycle.reminder_sweep.reminders_sweep``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable

from django.db import connection
from django.utils import timezone

from . import schedule_state, sweep_statement
from .rules import RuleBook
from .schedule_state import SIGNED_SUCCESSOR
from .statutory import statutory_notices_sweep
from .sweep_portable import sweep_portable
from .sweep_summary import SweepSummary

logger = logging.getLogger("notifications.reminders")

__all__ = ["SIGNED_SUCCESSOR", "SweepSummary", "reminders_sweep_run"]


def reminders_sweep_run(
    *,
    customer_responded: Callable[[list[int]], Iterable[int]],
    as_of: dt.date | None = None,
    batch_size: int = 5000,
) -> SweepSummary:
    """Create the renewal reminders (and staff tasks) due on ``as_of``. Safe to repeat.

    ``customer_responded(contract_ids)`` returns the ids among them whose customer has
    answered the renewal question (no escalation for those).
    """
    as_of = as_of or timezone.localdate()
    summary = SweepSummary(as_of=as_of.isoformat())
    book = RuleBook()
    # Each auto-renewing term's statutory notice, where the offsets miss its window.
    summary.statutory = statutory_notices_sweep(as_of=as_of, book=book)
    if connection.vendor != "postgresql":
        sweep_portable(
            as_of=as_of,
            batch_size=batch_size,
            customer_responded=customer_responded,
            summary=summary,
        )
        return summary
    candidates = sweep_statement.escalation_candidates(as_of)
    responded = set(customer_responded(candidates)) if candidates else set()
    params = sweep_statement.sql_batch_params(
        as_of=as_of,
        rules=schedule_state.rules_table(book),
        responded=responded,
        batch_size=batch_size,
    )
    sql = sweep_statement.sql_batch()
    after: tuple[dt.date, int] | None = (dt.date.min, 0)
    while after is not None:
        batch = sweep_statement.batch_run(sql, params, after)
        summary.contracts_seen += batch.read
        summary.created += batch.created
        summary.late += batch.late
        # Due at an offset that already had its reminder, or beaten by a concurrent sweep.
        summary.skipped += batch.sent_before + batch.planned - batch.created
        summary.tasks += batch.tasks
        summary.escalations += batch.escalations
        if batch.unknown_rule:
            logger.error("%s due contracts match no reminder rule: left due", batch.unknown_rule)
        after = batch.last if batch.read == batch_size else None
    return summary
