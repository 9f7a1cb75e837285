"""Benchmark of the daily renewal-reminder sweep (not a test: prints figures, asserts nothing).

    .venv/bin/python bench/reminders.py [--contracts 1000000] [--rounds 3] [--keep]

In its own PostgreSQL database (``renewdesk_bench_reminders``, or BENCH_REMINDERS_DB; dropped,
created and migrated by the script, never a test database) it seeds with COPY (psycopg2
``copy_expert``) ``--contracts`` active contracts whose end dates are spread evenly over the
next 365 days, one customer per five contracts with a primary contact, and the reminders the
sweeps of the previous days sent (the steady state: a contract 20 days from its end already
has its 30-day reminder), then computes every contract's reminder schedule with the
application's set-based recompute (notifications.reminders.schedule_state; timed: it is what
the migration and the nightly repair run). On the measured day the contracts 30, 15 and 7
days from their end are due: about 1/365 of the book per offset.

Then, in the same run, each round times:
  * the baseline: one hand-written ``INSERT … SELECT … ON CONFLICT DO NOTHING`` creating the
    same outbox rows in the real ``notifications_message`` table (same indexes and foreign
    keys), reading the due contracts by the schedule's index (``reminder_schedule_due``) as
    the sweep does, committed (the time includes the commit, as the sweep's does); its rows
    are deleted afterwards;
  * the sweep (``lifecycle.reminder_sweep.reminders_sweep``), which commits; its rows, staff
    tasks and escalations are deleted afterwards and the schedules it moved are put back, so
    the next round starts from the same state;
and checks that both created the same set of dedupe keys. Finally one more sweep runs under
tracemalloc for its peak Python memory (the timed rounds run without it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DB_NAME = os.environ.get("BENCH_REMINDERS_DB", "renewdesk_bench_reminders")
AS_OF = dt.date(2026, 6, 1)
MANAGERS = 20


def recreate_database() -> None:
    import psycopg2

    conn = psycopg2.connect(host="127.0.0.1", user="renewdesk", dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}"')
        cur.execute(f'CREATE DATABASE "{DB_NAME}"')
    conn.close()


def django_setup() -> None:
    os.environ["DATABASE_URL"] = f"postgres://renewdesk@127.0.0.1:5432/{DB_NAME}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


# --- seeding with COPY ------------------------------------------------------------------


def _copy_text(value: Any) -> str:
    """One value in COPY's text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, dict | list):
        value = json.dumps(value)
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def copy_model(
    model: Any,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    chunk: int = 100_000,
) -> int:
    """COPY ``rows`` (values for ``columns``, attnames) into ``model``'s table; every other
    concrete column gets the field's default, '' for text, now() for timestamps, else NULL.
    Sent in chunks so that memory stays small whatever the row count."""
    from django.db import connection, models

    now = dt.datetime.now(dt.UTC)
    fixed: dict[str, Any] = {}
    for field in model._meta.concrete_fields:
        if field.attname in columns or field.primary_key:
            continue
        if field.has_default():
            value = field.get_default()
            fixed[field.attname] = value.pk if isinstance(value, models.Model) else value
        elif isinstance(field, models.DateTimeField) and not field.null:
            fixed[field.attname] = now
        elif field.null:
            fixed[field.attname] = None
        elif isinstance(field, models.CharField | models.TextField | models.FileField):
            fixed[field.attname] = ""
        elif isinstance(field, models.BooleanField):
            fixed[field.attname] = False
        elif isinstance(field, models.DecimalField | models.IntegerField):
            fixed[field.attname] = 0
        else:
            raise RuntimeError(f"bench seed: no value for {model.__name__}.{field.attname}")
    names = [*columns, *fixed]
    tail = "\t".join(_copy_text(v) for v in fixed.values())
    sql = (
        f"COPY {model._meta.db_table} ({', '.join(connection.ops.quote_name(n) for n in names)})"
        " FROM STDIN"
    )
    total = 0
    buf = io.StringIO()
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg2's cursor, for copy_expert
        for row in rows:
            # A row may come pre-rendered (tab-separated text) when speed matters.
            head = row if isinstance(row, str) else "\t".join(_copy_text(v) for v in row)
            buf.write(f"{head}\t{tail}\n" if tail else f"{head}\n")
            total += 1
            if total % chunk == 0:
                buf.seek(0)
                raw.copy_expert(sql, buf)
                buf = io.StringIO()
        if buf.tell():
            buf.seek(0)
            raw.copy_expert(sql, buf)
    return total


def seed(n: int) -> dict[str, float]:
    from django.db import connection, transaction

    from contracts.models import Contract
    from core.models import User
    from customers.models import Contact, Customer
    from notifications.reminders import RuleBook

    timings: dict[str, float] = {}
    lead = User.objects.create(username="bench-lead", is_staff=True)
    managers = [
        User.objects.create(username=f"bench-manager-{i}", is_staff=True, team_lead=lead).pk
        for i in range(MANAGERS)
    ]
    customers = max(1, n // 5)
    with transaction.atomic():
        started = time.perf_counter()
        copy_model(
            Customer,
            [
                "id",
                "code",
                "name",
                "kind",
                "account_manager_id",
                "tier",
                "language",
                "notify_email",
                "notify_sms",
                "notify_in_app",
            ],
            (
                (
                    g,
                    f"B{g}",
                    f"Bench customer {g}",
                    "company",
                    managers[g % MANAGERS],
                    "ABC"[g % 3],
                    "en" if g % 2 == 0 else "zh-hans",
                    g % 10 != 0,  # a tenth turned email off
                    g % 4 == 0,  # a quarter also want SMS
                    g % 3 == 0,  # a third also want the portal inbox
                )
                for g in range(1, customers + 1)
            ),
        )
        timings["customers"] = time.perf_counter() - started
        started = time.perf_counter()
        copy_model(
            Contact,
            ["customer_id", "name", "email", "phone", "is_primary"],
            (
                (g, f"Contact {g}", f"c{g}@example.com", f"1380000{g:07d}" if g % 2 else "", True)
                for g in range(1, customers + 1)
            ),
        )
        timings["contacts"] = time.perf_counter() - started
        started = time.perf_counter()
        # End dates spread evenly over the next 365 days: about 1/365 end on any day.
        ends = [(AS_OF + dt.timedelta(days=1 + k)).isoformat() for k in range(365)]
        starts = [(AS_OF + dt.timedelta(days=1 + k - 365)).isoformat() for k in range(365)]
        copy_model(
            Contract,
            [
                "id",
                "number",
                "customer_id",
                "owner_id",
                "status",
                "start_date",
                "end_date",
                "billing_period",
                "currency",
                "total_amount",
                "annual_value",
                "auto_renew",
            ],
            (
                # Pre-rendered: a million tuples through _copy_text took 2 minutes under load.
                f"{g}\tHT-B-{g}\t{1 + g % customers}\t{managers[(1 + g % customers) % MANAGERS]}"
                f"\tactive\t{starts[g % 365]}\t{ends[g % 365]}\tmonthly\tCNY\t12000.00"
                f"\t12000.00\t{'t' if g % 3 == 0 else 'f'}"
                for g in range(1, n + 1)
            ),
        )
        timings["contracts"] = time.perf_counter() - started
        with connection.cursor() as cur:
            for table in ("customers_customer", "customers_contact", "contracts_contract"):
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
    # What the sweeps of the previous days sent: every offset larger than today's days left.
    book = RuleBook()
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            BASELINE_SQL.replace("{offset_filter}", "x > d0.days")
            .replace("{rows_from}", "contracts_contract c")
            .replace("{rows_filter}", WINDOW_FILTER),
            {**_baseline_params(book, AS_OF), "status": "sent"},
        )
        timings["earlier reminders"] = time.perf_counter() - started
        timings["earlier reminder rows"] = cur.rowcount
    # Every contract's reminder schedule, as the migration and the nightly repair compute it
    # (one set-based statement over the book).
    from notifications.reminders.schedule_state import reminder_schedule_recompute

    started = time.perf_counter()
    timings["schedule rows"] = reminder_schedule_recompute(as_of=AS_OF)
    timings["schedule (full recompute)"] = time.perf_counter() - started
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    return timings


# --- the baseline -----------------------------------------------------------------------

# The same rows the sweep creates, written by hand: the due offset is the smallest offset ≥
# the days left (offsets from the RuleBook, which has only the defaults here), one row per
# channel the customer chose and can be reached on (the portal inbox when none), skipping
# what was already sent through the unique constraint. The seed reuses it with
# "offset > days left" for the earlier days.
BASELINE_SQL = """
INSERT INTO notifications_message (created_at, updated_at, customer_id, contract_id,
    to_address, channel, kind, template_kind, language, subject, body_text, body_html,
    dedupe_key, status, attempts, next_attempt_at, last_error, provider_message_id, term_end,
    offset_days, late, rendered, context)
SELECT now(), now(), c.customer_id, c.id, ch.address, ch.channel, 'renewal_reminder',
    'renewal_reminder', cu.language, '', '', '',
    'renewal_reminder:' || c.id || ':' || c.end_date || ':' || o.off || ':' || ch.channel
        || ':' || c.customer_id,
    %(status)s, 0, now(), '', '', c.end_date, o.off, d0.days < o.off, false,
    jsonb_build_object('days_left', d0.days)
FROM {rows_from}
JOIN customers_customer cu ON cu.id = c.customer_id
LEFT JOIN customers_contact ct ON ct.customer_id = c.customer_id AND ct.is_primary
CROSS JOIN LATERAL (SELECT c.end_date - %(as_of)s::date AS days) d0
CROSS JOIN LATERAL (
    SELECT x AS off
    FROM unnest(CASE WHEN c.auto_renew THEN %(auto)s::int[] ELSE %(manual)s::int[] END) x
    WHERE {offset_filter}
) o
CROSS JOIN LATERAL (
    SELECT cu.notify_email AND COALESCE(ct.email, '') <> '' AS email_ok,
           cu.notify_sms AND COALESCE(ct.phone, '') <> '' AS sms_ok
) r
CROSS JOIN LATERAL (
    VALUES ('email', ct.email, r.email_ok),
           ('sms', ct.phone, r.sms_ok),
           ('in_app', '', cu.notify_in_app OR NOT (r.email_ok OR r.sms_ok))
) ch(channel, address, wanted)
WHERE {rows_filter}
  AND c.status = 'active' AND c.end_date > %(as_of)s::date
  AND ch.wanted
  AND NOT EXISTS (
      SELECT 1 FROM contracts_contract s
      WHERE s.predecessor_id = c.id AND s.status IN ('awaiting_payment', 'scheduled', 'active')
  )
ON CONFLICT DO NOTHING
"""

# The seed's earlier reminders: every contract of the 30-day window.
WINDOW_FILTER = "c.end_date <= %(as_of)s::date + %(max_offset)s::int"
# The baseline's rows: the contracts whose reminder is due by the schedule (the partial
# index reminder_schedule_due), as the sweep reads them.
DUE_FROM = "notifications_reminderschedule rs JOIN contracts_contract c ON c.id = rs.contract_id"
DUE_BY_SCHEDULE = "rs.due_on <= %(as_of)s::date"

# Today's due offset: the smallest one ≥ the days left.
DUE_FILTER = (
    "x = (SELECT min(y) FROM unnest(CASE WHEN c.auto_renew THEN %(auto)s::int[] "
    "ELSE %(manual)s::int[] END) y WHERE y >= d0.days)"
)


def _baseline_params(book: Any, as_of: dt.date) -> dict[str, Any]:
    auto = {tuple(book.offsets_for(plan_id=None, tier=t, auto_renew=True)) for t in "ABC"}
    manual = {tuple(book.offsets_for(plan_id=None, tier=t, auto_renew=False)) for t in "ABC"}
    # The hand-written SQL does not look at tiers: true here, where no rule is configured.
    assert len(auto) == 1 and len(manual) == 1, "bench expects offsets independent of tier"
    return {
        "as_of": as_of,
        "auto": list(auto.pop()),
        "manual": list(manual.pop()),
        "max_offset": book.max_offset(),
        "status": "pending",
    }


def _keys_digest(after_id: int) -> tuple[int, str]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*), md5(COALESCE(string_agg(dedupe_key, ',' ORDER BY dedupe_key), ''))"
            " FROM notifications_message WHERE id > %s",
            [after_id],
        )
        return cur.fetchone()


def _max_id(table: str) -> int:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(f"SELECT COALESCE(max(id), 0) FROM {table}")
        return cur.fetchone()[0]


def baseline(as_of: dt.date) -> tuple[int, float, tuple[int, str]]:
    from django.db import connection, transaction

    from notifications.reminders import RuleBook

    params = _baseline_params(RuleBook(), as_of)
    mark = _max_id("notifications_message")
    sql = (
        BASELINE_SQL.replace("{offset_filter}", DUE_FILTER)
        .replace("{rows_from}", DUE_FROM)
        .replace("{rows_filter}", DUE_BY_SCHEDULE)
    )
    # Committed, as the sweep commits its batches: the time includes the commit.
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.rowcount
    seconds = time.perf_counter() - started
    digest = _keys_digest(mark)
    # Back to the state before, for the sweep that follows.
    with connection.cursor() as cur:
        cur.execute("DELETE FROM notifications_message WHERE id > %s", [mark])
        cur.execute("VACUUM ANALYZE notifications_message")
    return rows, seconds, digest


def sweep(as_of: dt.date, *, batch_size: int, trace: bool = False) -> dict[str, Any]:
    from django.db import connection

    from lifecycle.reminder_sweep import reminders_sweep

    mark = _max_id("notifications_message")
    task_mark = _max_id("core_task")
    queries = [0]
    # The schedules the sweep will move, to put them back for the next round.
    with connection.cursor() as cur:
        cur.execute(
            "SELECT contract_id, due_on FROM notifications_reminderschedule WHERE due_on <= %s",
            [as_of],
        )
        schedules = cur.fetchall()

    def counter(execute: Callable, sql: str, params: Any, many: bool, context: Any) -> Any:
        queries[0] += 1
        return execute(sql, params, many, context)

    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    with connection.execute_wrapper(counter):
        summary = reminders_sweep(as_of=as_of, batch_size=batch_size)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    if trace:
        tracemalloc.stop()
    digest = _keys_digest(mark)
    # Back to the state before the sweep, for the next round.
    with connection.cursor() as cur:
        cur.execute("DELETE FROM notifications_message WHERE id > %s", [mark])
        cur.execute("DELETE FROM core_task WHERE id > %s", [task_mark])
        cur.execute(
            "UPDATE notifications_reminderschedule rs SET due_on = s.due"
            " FROM unnest(%s::bigint[], %s::date[]) AS s(id, due) WHERE rs.contract_id = s.id",
            [[i for i, _d in schedules], [d for _i, d in schedules]],
        )
        cur.execute("VACUUM ANALYZE notifications_reminderschedule")
        cur.execute("VACUUM ANALYZE notifications_message")
        cur.execute("VACUUM ANALYZE core_task")
    return {
        "summary": summary,
        "seconds": seconds,
        "queries": queries[0],
        "peak": peak,
        "digest": digest,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contracts", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=5000, help="the sweep's batch size")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure on the database a previous run seeded (no drop, migrate or seed)",
    )
    args = parser.parse_args()

    load = os.getloadavg()
    print(
        f"{os.cpu_count()} CPUs, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} at start,"
        f" {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; database {DB_NAME}"
    )
    if args.reuse:
        django_setup()
        print(f"reusing the seeded database: {_max_id('contracts_contract'):,} contracts")
    else:
        recreate_database()
        django_setup()
        from django.core.management import call_command

        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        print(f"migrated in {time.perf_counter() - started:.1f}s")
        started = time.perf_counter()
        timings = seed(args.contracts)
        print(
            f"seeded {args.contracts:,} contracts in {time.perf_counter() - started:.1f}s ("
            + ", ".join(
                f"{k} {v:,.0f}" if k.endswith("rows") else f"{k} {v:.1f}s"
                for k, v in timings.items()
            )
            + ")"
        )

    day = AS_OF
    print(
        f"day {day}: baseline = one INSERT … SELECT (committed), sweep = reminders_sweep"
        " (commits each batch)"
        f" (batch size {args.batch_size})"
    )
    print(f"{'round':>5} {'rows':>7} {'baseline s':>10} {'sweep s':>8} {'ratio':>6} {'queries':>7}")
    ratios, base_times, sweep_times = [], [], []
    rows = 0
    for i in range(1, args.rounds + 1):
        rows, base_s, base_digest = baseline(day)
        result = sweep(day, batch_size=args.batch_size)
        same = "same rows" if result["digest"] == base_digest else "ROWS DIFFER"
        ratio = result["seconds"] / base_s
        ratios.append(ratio)
        base_times.append(base_s)
        sweep_times.append(result["seconds"])
        s = result["summary"]
        print(
            f"{i:>5} {rows:>7} {base_s:>10.3f} {result['seconds']:>8.3f} {ratio:>6.2f} "
            f"{result['queries']:>7}   {same}; sweep: {s.contracts_seen} due by the schedule, "
            f"{s.created} created, {s.skipped} already sent, {s.tasks} tasks "
            f"({s.escalations} escalations)"
        )
    traced = sweep(day, batch_size=args.batch_size, trace=True)
    load = os.getloadavg()
    # Three summaries, since the machine's load moves both timings between rounds: the
    # median of the per-round ratios, the ratio of the medians, the ratio of the fastest.
    print(
        f"rows {rows}; median: baseline {statistics.median(base_times):.3f}s, sweep "
        f"{statistics.median(sweep_times):.3f}s; ratio: median of rounds "
        f"{statistics.median(ratios):.2f}, of the medians "
        f"{statistics.median(sweep_times) / statistics.median(base_times):.2f}, "
        f"of the fastest {min(sweep_times) / min(base_times):.2f}"
    )
    print(
        f"sweep peak Python memory (tracemalloc, extra run: {traced['seconds']:.1f}s with tracing)"
        f": {traced['peak'] / 2**20:.1f} MiB; process peak RSS "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )
    print(f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} at the end")


if __name__ == "__main__":
    main()
