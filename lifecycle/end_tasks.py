"""The daily end-of-term run on Celery (beat: ``notifications/schedule.py``).

The run goes through the steps of ``lifecycle.contract_ends`` in order. A step with one
chunk or none runs inside the task; a step with several becomes a chord: a group of
``contract_ends_chunk_task`` (one per chunk, any worker) whose body,
``contract_ends_step_done_task``, adds the chunks' reports to the run's and goes on with
the next step. The step order holds (auto-renewal is over before expiry looks, and the
renewals that failed in a chunk are held from the later steps) and no task waits for
another: each step's task replaces itself with the chord (``Task.replace``), so the whole
run keeps the id of the task beat sent, and its result (the summary, as
``EndsReport.as_dict``) is written by the body that finds no step left.

Chords need a result backend (``CELERY_RESULT_BACKEND``: Redis in production, a SQLite
file for ``make run``); these tasks keep their results, every other task ignores its own.
Every chunk locks and re-checks its contracts, so a chunk run twice (redelivery, a second
beat, an operator's run at the same time) changes nothing the second time.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from celery import Task, chord, group, shared_task
from celery.result import allow_join_result
from django.utils import timezone

from .contract_ends import EndsReport, step_run_chunk, steps_run

log = logging.getLogger(__name__)

# A step's task runs the steps it does not share (cancellations, a step of one chunk) and
# selects the ids of the next one; the chunks themselves are short.
STEP_LIMITS = {"soft_time_limit": 25 * 60, "time_limit": 30 * 60}


def _go_on(task: Task, report: EndsReport, start: int) -> dict[str, Any]:
    shared = steps_run(report, start=start, share=True)
    if shared is None:
        summary = report.as_dict()
        log.info("process_contract_ends (Celery) %s", summary)
        return summary
    as_of = report.as_of.isoformat()
    header = group(contract_ends_chunk_task.s(shared.step, as_of, ids) for ids in shared.chunks)
    body = contract_ends_step_done_task.s(report.state(), shared.then)
    if task.request.is_eager:
        # Eager (tests, CELERY_TASK_ALWAYS_EAGER): the chord runs here, in this call, and
        # its result is read at once; on a worker replace() sends it and returns nothing.
        with allow_join_result():
            return task.replace(chord(header, body))
    return task.replace(chord(header, body))


def _start(task: Task, as_of: str | None) -> dict[str, Any]:
    day = dt.date.fromisoformat(as_of) if as_of else timezone.localdate()
    return _go_on(task, EndsReport(as_of=day), 0)


@shared_task(
    name="lifecycle.end_tasks.process_contract_ends_task",
    bind=True,
    ignore_result=False,
    acks_late=True,
    **STEP_LIMITS,
)
def process_contract_ends_task(self: Task, as_of: str | None = None) -> dict[str, Any]:
    """Daily sweep. ``as_of`` is an ISO date; default today in the business time zone.
    Idempotent, so a redelivered or doubled run is harmless."""
    return _start(self, as_of)


@shared_task(
    name="lifecycle.end_tasks.contract_ends_chunk_task", ignore_result=False, acks_late=True
)
def contract_ends_chunk_task(step: str, as_of: str, ids: list[int]) -> dict[str, Any]:
    """One chunk of one step, on any worker; its report goes to the step's chord body."""
    part = EndsReport(as_of=dt.date.fromisoformat(as_of))
    step_run_chunk(step, part.as_of, ids, part)
    return part.state()


@shared_task(
    name="lifecycle.end_tasks.contract_ends_step_done_task",
    bind=True,
    ignore_result=False,
    acks_late=True,
    **STEP_LIMITS,
)
def contract_ends_step_done_task(
    self: Task, parts: list[dict[str, Any]], report: dict[str, Any], then: int
) -> dict[str, Any]:
    """A step's chunks are all done: add up their reports, go on from step ``then``."""
    run = EndsReport.from_state(report)
    for part in parts:
        run.merge(EndsReport.from_state(part))
    return _go_on(self, run, then)


# --- the names these tasks had in contracts/tasks.py --------------------------------------
#
# Messages queued before the move (and beat rows not yet updated by setup_periodic_tasks)
# name the old paths; the worker must still know them.


@shared_task(
    name="contracts.tasks.process_contract_ends_task",
    bind=True,
    ignore_result=False,
    acks_late=True,
    **STEP_LIMITS,
)
def process_contract_ends_task_old_name(self: Task, as_of: str | None = None) -> dict[str, Any]:
    return _start(self, as_of)


@shared_task(name="contracts.tasks.process_contract_ends_chunk_task", acks_late=True)
def process_contract_ends_chunk_task_old_name(
    run: str, step: str, as_of: str, index: int, ids: list[int]
) -> bool:
    """A chunk sent by the old coordinator, which no longer waits for it: it is simply
    done (safe: every contract is locked and re-checked)."""
    step_run_chunk(
        step, dt.date.fromisoformat(as_of), ids, EndsReport(as_of=dt.date.fromisoformat(as_of))
    )
    return True
