"""CSV imports from the staff UI: the upload becomes an ImportJob, a Celery task runs the
same importer as ``import_customers`` / ``import_contracts`` (all or nothing, every bad
row reported) and writes its progress for the page's progress bar."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils.translation import gettext as _

from contracts.importers import contracts_import_csv
from core.errors import DomainError
from core.task_queue import task_enqueue
from customers.importers import customers_import_csv

from .import_states import import_job_claim, import_job_finish
from .models import ImportJob, ImportKind, ImportStatus

logger = logging.getLogger(__name__)

# The task module (insights/tasks.py) calls import_job_run; the job is queued by name.
IMPORT_JOB_TASK = "insights.tasks.import_job_task"

MAX_UPLOAD_BYTES = 64 * 1024 * 1024
# Every bad row is counted; the first ones are kept for the report and its CSV.
MAX_STORED_ERRORS = 20_000

IMPORTERS: dict[str, Callable[..., Any]] = {
    ImportKind.CUSTOMERS: customers_import_csv,
    ImportKind.CONTRACTS: contracts_import_csv,
}


def import_job_create(
    *, kind: str, upload: UploadedFile, by: Any, dry_run: bool = False
) -> ImportJob:
    if kind not in IMPORTERS:
        raise DomainError(_("Choose what the file contains."))
    name = upload.name or ""  # an uploaded file always has one; the stubs allow None
    if not name.lower().endswith(".csv"):
        raise DomainError(_("Upload a .csv file."))
    if (upload.size or 0) > MAX_UPLOAD_BYTES:
        raise DomainError(
            _("The file is too large (at most %(mb)s MB).") % {"mb": MAX_UPLOAD_BYTES // 2**20}
        )
    with transaction.atomic():
        job = ImportJob.objects.create(
            kind=kind,
            file=upload,
            filename=name[:255],
            dry_run=dry_run,
            created_by=by,
        )
        transaction.on_commit(lambda: import_job_dispatch(job.pk))
    return job


def import_job_dispatch(job_id: int) -> None:
    """Queue the job; without a reachable broker run it in a thread of this process
    (local development), so that the page still shows progress."""
    try:
        task_enqueue(IMPORT_JOB_TASK, job_id)
    except Exception:  # kombu raises several kinds of connection errors
        logger.warning("broker unreachable: import job %s runs in-process", job_id)
        threading.Thread(target=import_job_run, kwargs={"job_id": job_id}, daemon=True).start()


class _ProgressWriter:
    """Writes progress on a connection of its own: the importer's writes happen in one
    transaction, and a progress row updated inside it would stay invisible to the page
    until the very end."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.conn = connections.create_connection(DEFAULT_DB_ALIAS)

    def __call__(self, phase: str, done: int, total: int) -> None:
        table = ImportJob._meta.db_table
        with self.conn.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET phase = %s, done = %s, total = %s WHERE id = %s",  # noqa: S608
                [phase, done, total, self.job_id],
            )

    def close(self) -> None:
        self.conn.close()


def import_job_run(*, job_id: int) -> ImportJob | None:
    """Run a queued job once: it is claimed by a compare-and-swap on its status, so a
    task delivered twice imports once."""
    if not import_job_claim(job_id):
        return None
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    progress = _ProgressWriter(job_id)
    try:
        with job.file.open("rb") as handle:
            data = handle.read()
        report = IMPORTERS[job.kind](
            source=data, by=job.created_by, dry_run=job.dry_run, progress=progress
        )
    except Exception:
        logger.exception("import job %s crashed", job_id)
        import_job_finish(
            job_id,
            ImportStatus.FAILED,
            error_count=1,
            errors=[
                {
                    "line": None,
                    "column": "",
                    "message": _("Unexpected error; nothing was imported."),
                }
            ],
        )
        return ImportJob.objects.get(pk=job_id)
    finally:
        progress.close()
    result = report.as_dict()
    if not report.ok:
        status = ImportStatus.FAILED
    elif job.dry_run:
        status = ImportStatus.CHECKED
    else:
        status = ImportStatus.DONE
    import_job_finish(
        job_id,
        status,
        rows=report.rows,
        created_count=report.created,
        error_count=len(result["errors"]),
        errors=result["errors"][:MAX_STORED_ERRORS],
    )
    return ImportJob.objects.get(pk=job_id)


def import_job_status(job: ImportJob) -> dict[str, Any]:
    return {
        "id": job.pk,
        "status": job.status,
        "status_label": str(job.get_status_display()),
        "phase": job.phase,
        "done": job.done,
        "total": job.total,
        "percent": job.percent,
        "finished": job.is_finished,
        "rows": job.rows,
        "created": job.created_count,
        "errors": job.error_count,
    }
