"""A real Celery worker and a real beat, as subprocesses, against the real Redis broker and
the test PostgreSQL database: a beat row fires the reminder sweep, the worker delivers the
reminder through SMTP, and it arrives at an aiosmtpd server in this process."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
BROKER_URL = "redis://127.0.0.1:6379/13"


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


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
def test_a_real_worker_and_beat_deliver_a_reminder_to_the_smtp_server(tmp_path):
    import redis
    from django.db import connection
    from django.utils import timezone
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    from notifications.models import Message
    from tests.factories import ContactFactory, ContractFactory, CustomerFactory

    # given a contract 30 days from its end and beat rows that fire every 2 seconds
    customer = CustomerFactory(language="en", notify_in_app=False)
    ContactFactory(customer=customer, email="buyer@example.com")
    contract = ContractFactory(
        customer=customer, end_date=timezone.localdate() + dt.timedelta(days=30)
    )
    every_2s, _ = IntervalSchedule.objects.get_or_create(every=2, period=IntervalSchedule.SECONDS)
    for name, task in [
        ("e2e sweep", "notifications.tasks.send_reminders_task"),
        ("e2e outbox", "notifications.tasks.deliver_outbox_task"),
    ]:
        PeriodicTask.objects.create(name=name, task=task, interval=every_2s)
    redis.Redis.from_url(BROKER_URL).flushdb()

    inbox = Inbox()
    port = free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_BROKER_URL": BROKER_URL,
        "EMAIL_URL": f"smtp://127.0.0.1:{port}",
        "TIME_ZONE": str(timezone.get_default_timezone()),
    }
    celery = [sys.executable, "-m", "celery", "-A", "config.celery_app"]
    logs = {name: open(tmp_path / f"{name}.log", "w") for name in ("worker", "beat")}  # noqa: SIM115
    procs = [
        subprocess.Popen(  # noqa: S603
            [
                *celery,
                *("worker", "--pool=solo", "-l", "info", "-n", f"e2e{port}@%h"),
                # Every queue (docs/scaling.md): the sweep and the deliveries have their own.
                *("-Q", "celery,sweeps,delivery,imports"),
            ],
            cwd=ROOT,
            env=env,
            stdout=logs["worker"],
            stderr=subprocess.STDOUT,
            start_new_session=True,
        ),
        subprocess.Popen(  # noqa: S603
            [*celery, "beat", "-l", "info", "-s", str(tmp_path / "beat-schedule")],
            cwd=ROOT,
            env=env,
            stdout=logs["beat"],
            stderr=subprocess.STDOUT,
            start_new_session=True,
        ),
    ]
    try:
        # when we wait for the mail (bounded: the whole test stays well under a minute)
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline and not inbox.messages:
            assert all(p.poll() is None for p in procs), "a Celery process died"
            time.sleep(0.5)
        time.sleep(3)  # a few more beats: still only one mail
    finally:
        for proc in procs:
            _stop(proc)
        smtp.stop()
        for fh in logs.values():
            fh.close()

    # then exactly one reminder arrived, and the outbox row says so
    worker_log = (tmp_path / "worker.log").read_text()[-3000:]
    assert len(inbox.messages) == 1, worker_log
    assert inbox.messages[0].rcpt_tos == ["buyer@example.com"]
    assert contract.number in inbox.messages[0].content.decode()
    message = Message.objects.get(contract=contract, kind="renewal_reminder")
    assert message.status == "sent" and message.offset_days == 30
