"""insights.import_states: the import job's table, the claim and the outcome by
compare-and-swap, and two workers given the same job (real PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from core.errors import InvalidTransition
from insights.import_states import IMPORT_STATES, import_job_claim, import_job_finish
from insights.models import ImportJob, ImportJobEvent, ImportStatus
from tests.factories import StaffFactory

S = ImportStatus


def _job(status: str = S.QUEUED) -> ImportJob:
    return ImportJob.objects.create(
        kind="customers", file="imports/c.csv", created_by=StaffFactory(), status=status
    )


def test_the_table_is_claim_then_one_outcome():
    assert {k: set(v) for k, v in IMPORT_STATES.transitions.items()} == {
        S.QUEUED: {S.RUNNING},
        S.RUNNING: {S.DONE, S.CHECKED, S.FAILED},
        S.DONE: set(),
        S.CHECKED: set(),
        S.FAILED: set(),
    }
    assert IMPORT_STATES.initial == {S.QUEUED}


@pytest.mark.django_db
def test_a_queued_job_is_claimed_once():
    job = _job()

    assert import_job_claim(job.pk)
    assert not import_job_claim(job.pk)

    job.refresh_from_db()
    assert job.status == S.RUNNING and job.started_at is not None


@pytest.mark.django_db
@pytest.mark.parametrize("status", [S.RUNNING, S.DONE, S.CHECKED, S.FAILED])
def test_only_a_queued_job_is_claimed(status):
    job = _job(status)

    assert not import_job_claim(job.pk)

    job.refresh_from_db()
    assert job.status == status and job.started_at is None


@pytest.mark.django_db
@pytest.mark.parametrize("outcome", [S.DONE, S.CHECKED, S.FAILED])
def test_a_running_job_ends_with_its_counts(outcome):
    job = _job(S.RUNNING)

    assert import_job_finish(job.pk, outcome, rows=3, created_count=2, error_count=1)

    job.refresh_from_db()
    assert (job.status, job.rows, job.created_count, job.error_count) == (outcome, 3, 2, 1)
    assert job.finished_at is not None and job.is_finished


@pytest.mark.django_db
def test_the_claim_and_the_outcome_each_leave_one_event():
    job = _job()

    assert import_job_claim(job.pk)
    assert not import_job_claim(job.pk)
    assert import_job_finish(job.pk, S.DONE, rows=3, created_count=2, error_count=1)
    assert not import_job_finish(job.pk, S.FAILED)

    events = list(ImportJobEvent.objects.filter(job=job).order_by("id"))
    assert [(e.kind, e.from_status, e.to_status) for e in events] == [
        ("claimed", S.QUEUED, S.RUNNING),
        ("finished", S.RUNNING, S.DONE),
    ]
    assert events[0].actor_id == job.created_by_id
    assert events[1].payload == {"rows": 3, "created": 2, "errors": 1}


@pytest.mark.django_db
@pytest.mark.parametrize("status", [S.QUEUED, S.DONE, S.CHECKED, S.FAILED])
def test_a_job_that_is_not_running_does_not_end(status):
    job = _job(status)

    assert not import_job_finish(job.pk, S.DONE, rows=3)

    job.refresh_from_db()
    assert (job.status, job.rows, job.finished_at) == (status, 0, None)


@pytest.mark.django_db
def test_running_again_or_back_to_the_queue_is_not_an_outcome():
    job = _job(S.RUNNING)

    with pytest.raises(ValueError):
        import_job_finish(job.pk, S.QUEUED)
    with pytest.raises(InvalidTransition):
        IMPORT_STATES.change_if(job.pk, S.QUEUED, expect_from=[S.RUNNING, S.DONE])

    job.refresh_from_db()
    assert job.status == S.RUNNING


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_a_task_delivered_twice_at_once_claims_the_job_once(round_):
    job = _job()
    barrier = threading.Barrier(2)
    results: list[bool] = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(import_job_claim(job.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(results) == [False, True]
    job.refresh_from_db()
    assert job.status == S.RUNNING
    assert ImportJobEvent.objects.filter(job=job, kind="claimed").count() == 1
