"""A CSV import job's workflow: the one table of which status may follow which, and the
only functions that change ``ImportJob.status``.

::

    queued ──(claimed by a worker)──► running ──► done      (imported)
                                         ├──────► checked   (dry run: nothing written)
                                         └──────► failed    (bad rows, or a crash)

A job is created ``queued`` by the upload (``imports.import_job_create``); creation is
not a transition. The worker claims it by a compare-and-swap on ``queued``, so a task
delivered twice imports once; it then writes the outcome by a compare-and-swap on
``running``. No row lock is held during the import (it may run for an hour).

**Events.** Each change writes an ``ImportJobEvent`` in the same transaction as the
swap (``StateMachine.change_if`` with an event factory): ``claimed`` (queued → running) and
the outcome (running → done, checked or failed) with its counts in the payload. No
subscription reacts to them today; they are the job's history on the common event base, and
what the import writes leaves its own events (a contract's, through the contracts' services).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils import timezone

from core.state_machine import StateMachine

from .models import ImportJob, ImportJobEvent, ImportStatus

S = ImportStatus

IMPORT_STATES: StateMachine[ImportJob] = StateMachine(
    model=ImportJob,
    transitions={
        S.QUEUED: frozenset({S.RUNNING}),
        S.RUNNING: frozenset({S.DONE, S.CHECKED, S.FAILED}),
        S.DONE: frozenset(),
        S.CHECKED: frozenset(),
        S.FAILED: frozenset(),
    },
    initial=frozenset({S.QUEUED}),
)

# How a run ends.
OUTCOMES = frozenset({S.DONE, S.CHECKED, S.FAILED})


def _event(kind: str) -> Callable[[ImportJob, str, str], ImportJobEvent]:
    def build(job: ImportJob, current: str, to: str) -> ImportJobEvent:
        payload = {}
        if to in OUTCOMES:
            payload = {
                "rows": job.rows,
                "created": job.created_count,
                "errors": job.error_count,
            }
        return ImportJobEvent(
            job=job,
            kind=kind,
            actor_id=job.created_by_id if kind == "claimed" else None,
            from_status=current,
            to_status=to,
            payload=payload,
        )

    return build


def import_job_claim(job_id: int) -> bool:
    """Claim a queued job for this worker. False: another worker has it, or it ran."""
    return IMPORT_STATES.change_if(
        job_id,
        S.RUNNING,
        expect_from=[S.QUEUED],
        updates={"started_at": timezone.now()},
        event=_event("claimed"),
    )


def import_job_finish(job_id: int, to: str, **fields: Any) -> bool:
    """Write a running job's outcome (``done``, ``checked`` or ``failed``) with its
    counts and errors, stamped ``finished_at``. False if the job was not running."""
    if to not in OUTCOMES:
        raise ValueError(f"{to!r} is not how an import ends")
    return IMPORT_STATES.change_if(
        job_id,
        to,
        expect_from=[S.RUNNING],
        updates={**fields, "finished_at": timezone.now()},
        event=_event("finished"),
    )
