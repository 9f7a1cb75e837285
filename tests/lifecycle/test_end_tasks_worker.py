"""The end-of-term run on a real Celery worker (a subprocess, as tests/e2e/test_celery_e2e.py
starts one) against the real Redis broker and result backend and the test PostgreSQL
database: the operator's ``process_contract_ends --fan-out`` sends the daily task, whose
expiry step becomes a chord of chunk tasks with a body that goes on, and prints the
summary the last body wrote."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from contracts.models import Contract, ContractStatus
from lifecycle.contract_ends import CHUNK_SIZE
from tests.factories import ContractFactory

ROOT = Path(__file__).resolve().parents[2]
# A Redis database of its own: broker and results of this test only, flushed before and after.
BROKER_URL = "redis://127.0.0.1:6379/10"
END = dt.date(2026, 6, 30)
AS_OF = END + dt.timedelta(days=1)
S = ContractStatus


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_a_shared_step_as_a_chord_and_the_command_gets_the_summary(tmp_path):
    import redis
    from django.db import connection
    from django.utils import timezone

    # given more contracts to expire than one chunk holds, and one scheduled term starting
    expiring = ContractFactory.create_batch(2 * CHUNK_SIZE + 5, end_date=END)
    starting = ContractFactory(
        status=S.SCHEDULED, start_date=AS_OF, end_date=AS_OF + dt.timedelta(days=364)
    )
    staying = ContractFactory(end_date=AS_OF)  # its last day
    redis.Redis.from_url(BROKER_URL).flushdb()

    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_BROKER_URL": BROKER_URL,
        "CELERY_RESULT_BACKEND": BROKER_URL,
        "TIME_ZONE": str(timezone.get_default_timezone()),
    }
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115
    worker = subprocess.Popen(  # noqa: S603
        [
            *(sys.executable, "-m", "celery", "-A", "config.celery_app", "worker"),
            *("-Q", "celery,sweeps", "--concurrency", "2", "-l", "info"),
            *("-n", f"ends{os.getpid()}@%h", "--without-gossip", "--without-mingle"),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        # when the operator sends the run to the workers and waits for its summary
        command = subprocess.run(  # noqa: S603
            [
                *(sys.executable, "manage.py", "process_contract_ends"),
                *("--as-of", AS_OF.isoformat(), "--fan-out"),
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        _stop(worker)
        log.close()
        redis.Redis.from_url(BROKER_URL).flushdb()
    worker_log = (tmp_path / "worker.log").read_text()

    # then the summary counts every contract, once
    assert command.returncode == 0, command.stdout + command.stderr + worker_log[-3000:]
    assert "expired: 205" in command.stdout
    assert "activated: 1" in command.stdout
    assert "errors: 0" in command.stdout
    # and the expiry step ran as three chunk tasks and a chord body on the worker
    assert worker_log.count("contract_ends_chunk_task[") >= 3 * 2  # received and succeeded
    assert "contract_ends_step_done_task[" in worker_log
    statuses = dict(Contract.objects.values_list("pk", "status"))
    assert {statuses[c.pk] for c in expiring} == {S.EXPIRED}
    assert (statuses[starting.pk], statuses[staying.pk]) == (S.ACTIVE, S.ACTIVE)
