"""The periodic reaction sweep (beat entry in notifications/schedule.py)."""

from __future__ import annotations

from celery import shared_task

from .reactions import events_sweep


@shared_task(name="lifecycle.reaction_tasks.react_to_events_task", ignore_result=True)
def react_to_events_task() -> dict[str, int]:
    """Every minute: run the reactions of every committed event row that has none yet
    (a crash between a commit and its reactions, a failed reaction due for a retry).
    Rows are claimed with SKIP LOCKED, so two runs at once share the work."""
    report = events_sweep()
    return {"reacted": report.reacted, "failed": report.failed}
