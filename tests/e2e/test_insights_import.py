"""A 100,000-row contracts CSV imported through the staff UI by a real Celery worker:
the progress bar advances while it runs, the import completes and the counts match; a
file with bad rows imports nothing and lists every bad row."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.utils import timezone

from contracts.models import Contract
from customers.models import Customer
from tests.factories import StaffFactory

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
BROKER_URL = "redis://127.0.0.1:6379/12"
HEADER = (
    "number,customer_code,plan_code,start_date,end_date,amount,currency,billing_period,"
    "auto_renew,notice_period_days\n"
)


@pytest.fixture
def worker(transactional_db, tmp_path, settings, monkeypatch):
    """A Celery worker process on its own Redis database, sharing MEDIA_ROOT and the
    test database with the live server."""
    import redis

    from config.celery_app import app
    from insights.tasks import import_job_task

    settings.MEDIA_ROOT = str(tmp_path / "media")
    redis.Redis.from_url(BROKER_URL).flushdb()

    def delay(job_id: int) -> None:
        with app.connection_for_write(BROKER_URL) as conn:
            import_job_task.apply_async(args=[job_id], connection=conn)

    monkeypatch.setattr(import_job_task, "delay", delay)
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_BROKER_URL": BROKER_URL,
        "MEDIA_ROOT": settings.MEDIA_ROOT,
        "TIME_ZONE": str(timezone.get_default_timezone()),
    }
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config.celery_app",
            "worker",
            "--pool=solo",
            "-l",
            "info",
            "-Q",
            # The import task's queue (settings CELERY_TASK_ROUTES) and the default one.
            "celery,imports",
            "-n",
            f"insights-import-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    yield tmp_path
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
    log.close()


@pytest.fixture
def lead(transactional_db):
    lead = StaffFactory(username="lead")
    lead.user_permissions.add(Permission.objects.get(codename="view_all_books"))
    Customer.objects.bulk_create(
        [Customer(code=f"IMP{i:04d}", name=f"Import customer {i}") for i in range(1000)]
    )
    return lead


def _write_csv(path: Path, rows: int, bad_lines: set[int] = frozenset()) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        fh.write(HEADER)
        for i in range(rows):
            line = i + 2  # the header is line 1
            customer = "NO-SUCH" if line in bad_lines else f"IMP{i % 1000:04d}"
            fh.write(
                f"HT-E2E-{i:06d},{customer},,2026-01-01,2026-12-31,1200.00,CNY,monthly,false,30\n"
            )
    return path


def _upload(page, live_server, path: Path) -> None:
    page.goto(f"{live_server.url}/staff/insights/import/")
    page.check("input[name=kind][value=contracts]")
    page.set_input_files("input[name=file]", str(path))
    page.click("button[type=submit]:has-text('Upload and import')")
    page.wait_for_url("**/staff/insights/import/*/")


def test_a_100000_row_contracts_file_imports_with_a_moving_progress_bar(
    page, live_server, lead, worker, staff_login, screenshot
):
    path = _write_csv(worker / "contracts.csv", 100_000)
    staff_login(page, live_server, username="lead", password="pw-Secret-123")
    _upload(page, live_server, path)
    seen: list[int] = []
    deadline = time.monotonic() + 540
    while time.monotonic() < deadline:
        if page.locator("#import-result").count():
            break
        try:
            value = page.get_attribute(".import-progress", "aria-valuenow", timeout=2000)
        except Exception:  # the page is reloading
            value = None
        if value is not None:
            seen.append(int(value))
            if 0 < seen[-1] < 100 and len(seen) % 20 == 0:
                screenshot(page, "insights-import-progress")
        time.sleep(0.25)
    page.wait_for_selector("#import-result", timeout=30_000)
    worker_log = (worker / "worker.log").read_text()[-3000:]
    assert [v for v in seen if 0 < v < 100], (seen[-20:], worker_log)
    assert seen == sorted(seen), "the bar never goes backwards"
    assert page.inner_text("[data-rows]").replace(",", "") == "100000"
    assert page.inner_text("[data-created]").replace(",", "") == "100000"
    assert page.inner_text("[data-errors]") == "0"
    assert Contract.objects.filter(number__startswith="HT-E2E-").count() == 100_000
    screenshot(page, "insights-import-done")
    assert page.js_errors == []


def test_a_file_with_bad_rows_imports_nothing_and_lists_every_bad_row(
    page, live_server, lead, worker, staff_login, screenshot
):
    bad = {7, 500, 2001}
    path = _write_csv(worker / "bad.csv", 3000, bad_lines=bad)
    staff_login(page, live_server, username="lead", password="pw-Secret-123")
    _upload(page, live_server, path)
    page.wait_for_selector("#import-result", timeout=120_000)
    lines = {
        int(t) for t in page.locator("#import-errors tbody tr td:first-child").all_inner_texts()
    }
    assert lines == bad
    assert page.inner_text("[data-created]") == "0"
    assert not Contract.objects.filter(number__startswith="HT-E2E-").exists()
    screenshot(page, "insights-import-errors")
    assert page.js_errors == []
