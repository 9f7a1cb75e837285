"""process_contract_ends for one busy day (~3,000 contracts ending), seconds and queries.

    .venv/bin/python bench/end_processing.py [--ending 3000] [--terminations 150] [--workers N]

Works on the bench database filled by bench/seed.py and changes it (the contracts of the
day end): each run takes the next day that still has active contracts ending. It
prepares that day set-based: enough active contracts are moved to end on it to reach
``--ending`` (a third auto-renew, with a consent and a delivered 30-day notice from the
seed), and ``--terminations`` other active contracts get a confirmed early-termination
request effective the next day. Then it runs ``process_contract_ends(as_of=next day)``
twice: the real run and a second one, which must find nothing left to do.
Side effects go to a Redis broker database of their own (redis db 11, flushed at the end).
Prints seconds, SQL queries and what was done; asserts nothing.

With ``--workers N`` it starts a Celery worker with N processes on the bench database
(broker and results redis db 11, consuming every queue) and sends the daily task
(``lifecycle.end_tasks.process_contract_ends_task``), waiting for its summary: each step
with several chunks runs as a chord over the N processes. Queries are then those of the
workers, which this process does not see (shown as 0).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time
from pathlib import Path

os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/11")

from common import django_setup, machine_line, scale_line  # noqa: E402


def prepare(*, ending: int, terminations: int) -> dt.date:
    """Returns the business date to process: the day after the chosen end day."""
    from django.db import connection, transaction
    from django.utils import timezone

    today = timezone.localdate()
    with connection.cursor() as cur, transaction.atomic():
        cur.execute(
            "SELECT min(end_date) FROM contracts_contract WHERE status = 'active' "
            "AND end_date >= %s",
            [today],
        )
        end_day = cur.fetchone()[0]
        cur.execute(
            "SELECT count(*) FROM contracts_contract WHERE status = 'active' AND end_date = %s",
            [end_day],
        )
        have = cur.fetchone()[0]
        # Pull more contracts forward from the following weeks (their notice was sent too).
        if have < ending:
            cur.execute(
                """UPDATE contracts_contract c SET end_date = %s, start_date = %s - 364
                   FROM (SELECT id FROM contracts_contract WHERE status = 'active'
                         AND end_date > %s AND end_date <= %s + 25 ORDER BY id LIMIT %s) m
                   WHERE c.id = m.id""",
                [end_day, end_day, end_day, end_day, ending - have],
            )
            # Their delivered notice must be for the new term end.
            cur.execute(
                """UPDATE notifications_message m SET term_end = c.end_date
                   FROM contracts_contract c WHERE m.contract_id = c.id
                   AND c.status = 'active' AND c.end_date = %s
                   AND m.kind = 'renewal_reminder' AND m.term_end <> c.end_date""",
                [end_day],
            )
        as_of = end_day + dt.timedelta(days=1)
    from common import insert_select

    from retention.models import CancellationRequest

    with transaction.atomic():
        insert_select(
            CancellationRequest,
            {
                "contract_id": "c.id",
                "customer_id": "c.customer_id",
                "kind": "'early_termination'",
                "status": "'confirmed'",
                "reason": "'price'",
                "channel": "'portal'",
                "submitted_at": "now() - interval '5 days'",
                "sla_due_at": "now() - interval '3 days'",
                "requested_effective_date": f"DATE '{as_of}'",
                "currency": "c.currency",
                "effective_date": f"DATE '{as_of}'",
                "confirmed_at": "now() - interval '2 days'",
            },
            f"""contracts_contract c
               WHERE c.status = 'active' AND c.end_date > DATE '{as_of}' + 60
                 AND NOT EXISTS (SELECT 1 FROM retention_cancellationrequest r
                                 WHERE r.contract_id = c.id)
               ORDER BY c.id LIMIT {int(terminations)}""",
            label="confirmed terminations",
        )
    return as_of


def start_workers(n: int) -> object:
    """A Celery worker with ``n`` processes on the bench database; returns the process."""
    import subprocess
    import sys

    from common import ROOT, bench_env

    env = bench_env()
    env["CELERY_BROKER_URL"] = os.environ["CELERY_BROKER_URL"]
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "celery"),
            "-A",
            "config.celery_app",
            "worker",
            "-Q",
            "celery,sweeps,delivery,imports",
            "--concurrency",
            str(n),
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
            "--hostname",
            f"bench-ends-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    from config.celery_app import app

    for _ in range(60):
        if app.control.ping(timeout=1.0):
            return proc
        time.sleep(1)
    proc.terminate()
    raise SystemExit("the Celery worker did not answer within a minute")


def run(as_of: dt.date, fan_out: bool = False) -> tuple[dict, float, int]:
    from django.db import connection

    from lifecycle.contract_ends import process_contract_ends
    from lifecycle.end_tasks import process_contract_ends_task

    queries = [0]

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        queries[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        started = time.perf_counter()
        if fan_out:
            report = process_contract_ends_task.delay(as_of.isoformat()).get(timeout=3600)
        else:
            report = process_contract_ends(as_of=as_of).as_dict()
        seconds = time.perf_counter() - started
    return report, seconds, queries[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ending", type=int, default=3000)
    parser.add_argument("--terminations", type=int, default=150)
    parser.add_argument(
        "--workers", type=int, default=0, help="fan out to a Celery worker with N processes"
    )
    args = parser.parse_args()
    django_setup()
    print(machine_line())
    print(scale_line())
    from django.db import connection

    as_of = prepare(ending=args.ending, terminations=args.terminations)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*), count(*) FILTER (WHERE auto_renew) FROM contracts_contract "
            "WHERE status = 'active' AND end_date < %s",
            [as_of],
        )
        due, auto = cur.fetchone()
    print(
        f"as_of {as_of}: {due} active contracts ended the day before ({auto} auto-renew), "
        f"{args.terminations} confirmed terminations due"
    )
    workers = start_workers(args.workers) if args.workers else None
    if workers is not None:
        print(f"fan-out: the daily task on a Celery worker with {args.workers} processes")
    try:
        for label in ("first run", "second run"):
            report, seconds, queries = run(as_of, fan_out=workers is not None)
            handled = sum(
                report[name]
                for name in (
                    "auto_renewed",
                    "expired",
                    "renewed",
                    "cancellations_completed",
                    "activated",
                )
            )
            print(
                f"{label:<11} {seconds:8.1f} s {queries:>8,} queries "
                f"{(handled / seconds if seconds and handled else 0):8.1f} contracts/s "
                f"{(queries / handled if handled else 0):6.1f} queries/contract  {report}"
            )
    finally:
        if workers is not None:
            workers.terminate()
            workers.wait(timeout=60)
    import redis

    redis.Redis.from_url(os.environ["CELERY_BROKER_URL"]).flushdb()
    print(machine_line())


if __name__ == "__main__":
    main()
