"""Benchmark of the daily reminder sweep (not a test: prints figures, asserts nothing).

    .venv/bin/python bench/reminder_sweep.py [--sizes 10000 100000]

For each size it seeds that many active contracts set-based (INSERT … SELECT
generate_series) in its own PostgreSQL database (rd_bench_notify, recreated), then in the
same run measures:
  * baseline: one hand-written INSERT … SELECT creating the same outbox rows (unrendered,
    as the sweep stores them; no staff tasks) into a scratch copy of the message table;
  * the sweep (notifications.reminders.reminders_sweep) for a first day, when every contract
    in the 30-day window is due (catch-up), and for the next day (steady state, ~3/365 due);
printing rows, seconds, their ratio, SQL queries and the process's peak resident memory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DB_NAME = os.environ.get("BENCH_DB", "rd_bench_notify")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ["DATABASE_URL"] = f"postgres://renewdesk@127.0.0.1:5432/{DB_NAME}"
os.environ.setdefault("LOG_LEVEL", "WARNING")

AS_OF = dt.date(2026, 6, 1)


def recreate_database() -> None:
    import psycopg2

    conn = psycopg2.connect(host="127.0.0.1", user="renewdesk", dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}"')
        cur.execute(f'CREATE DATABASE "{DB_NAME}"')
    conn.close()


def seed(n: int) -> None:
    from django.db import connection

    customers = max(1, n // 5)
    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE notifications_message, notifications_messageattempt, core_task, "
            "contracts_contractline, contracts_contractevent, contracts_contract, "
            "customers_contact, customers_customer RESTART IDENTITY CASCADE"
        )
        cur.execute("SELECT id FROM core_user WHERE username = 'bench-manager'")
        row = cur.fetchone()
        if row is None:
            from core.models import User

            manager_id = User.objects.create(username="bench-manager", is_staff=True).pk
        else:
            manager_id = row[0]
        cur.execute(
            """
            INSERT INTO customers_customer (code, name, kind, account_manager_id, tier,
                tier_override, tier_override_reason, language, notify_email, notify_sms,
                notify_in_app, care_messages, tags, notes, created_at, updated_at)
            SELECT 'B' || g, 'Bench customer ' || g, 'company', %s, 'C', '', '',
                CASE WHEN g %% 2 = 0 THEN 'en' ELSE 'zh-hans' END, true, false, false, true,
                '', '', now(), now()
            FROM generate_series(1, %s) g
            """,
            [manager_id, customers],
        )
        cur.execute(
            """
            INSERT INTO customers_contact (customer_id, name, email, phone, role, is_primary,
                created_at, updated_at)
            SELECT id, 'Contact', 'c' || id || '@example.com', '', '', true, now(), now()
            FROM customers_customer
            """
        )
        # End dates spread evenly over the next 365 days: about 1/365 end on any day.
        cur.execute(
            """
            INSERT INTO contracts_contract (number, customer_id, owner_id, status, start_date,
                end_date, billing_period, currency, total_amount, annual_value, auto_renew,
                notice_period_days, etf_kind, etf_value, refund_policy, signed_document,
                created_at, updated_at)
            SELECT 'HT-B-' || g, 1 + (g %% %s), %s, 'active',
                %s::date + (g %% 365) - 364, %s::date + 1 + (g %% 365), 'monthly', 'CNY',
                12000, 12000, g %% 3 = 0, 30, 'none', 0, 'none', '', now(), now()
            FROM generate_series(1, %s) g
            """,
            [customers, manager_id, AS_OF, AS_OF, n],
        )
        cur.execute("ANALYZE")


BASELINE_SQL = """
INSERT INTO bench_message (customer_id, contract_id, to_address, channel, kind, template_kind,
    language, subject, body_text, body_html, dedupe_key, status, attempts, next_attempt_at,
    last_error, provider_message_id, term_end, offset_days, late, rendered, context,
    created_at, updated_at)
SELECT c.customer_id, c.id, ct.email, 'email', 'renewal_reminder', 'renewal_reminder',
    cu.language, '', '', '',
    'renewal_reminder:' || c.id || ':' || c.end_date || ':' || d.off || ':email:' || c.customer_id,
    'pending', 0, now(), '', '', c.end_date, d.off, d.days < d.off, false,
    jsonb_build_object('days_left', d.days), now(), now()
FROM contracts_contract c
JOIN customers_customer cu ON cu.id = c.customer_id
JOIN customers_contact ct ON ct.customer_id = c.customer_id AND ct.is_primary
CROSS JOIN LATERAL (SELECT (c.end_date - %(as_of)s::date) AS days,
    CASE WHEN c.end_date - %(as_of)s::date <= 7 THEN 7
         WHEN c.end_date - %(as_of)s::date <= 15 THEN 15 ELSE 30 END AS off) d
WHERE c.status = 'active' AND c.end_date > %(as_of)s::date
  AND c.end_date <= %(as_of)s::date + 30
ON CONFLICT (dedupe_key) DO NOTHING
"""


def baseline(as_of: dt.date) -> tuple[int, float]:
    from django.db import connection, transaction

    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_message")
        cur.execute(
            "CREATE TABLE bench_message (LIKE notifications_message INCLUDING DEFAULTS "
            "INCLUDING CONSTRAINTS INCLUDING INDEXES)"
        )
        cur.execute("CREATE SEQUENCE IF NOT EXISTS bench_message_seq")
        cur.execute("ALTER TABLE bench_message ALTER id SET DEFAULT nextval('bench_message_seq')")
        started = time.perf_counter()
        with transaction.atomic():
            cur.execute(BASELINE_SQL, {"as_of": as_of})
            rows = cur.rowcount
        return rows, time.perf_counter() - started


def timed_sweep(as_of: dt.date) -> tuple[object, float, int, int]:
    from django.db import connection

    from notifications.reminders import reminders_sweep

    count = [0]

    def counter(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    started = time.perf_counter()
    with connection.execute_wrapper(counter):
        summary = reminders_sweep(as_of=as_of)
    seconds = time.perf_counter() - started
    # Peak resident set of the whole process so far (KiB on Linux): flat when the sweep's
    # memory does not grow with the number of contracts.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return summary, seconds, count[0], peak


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()

    recreate_database()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(
        f"{'contracts':>10} {'day':>10} {'rows':>7} {'baseline s':>10} {'sweep s':>8} "
        f"{'ratio':>6} {'queries':>7} {'peak RSS MiB':>8}"
    )
    for n in args.sizes:
        t0 = time.perf_counter()
        seed(n)
        seed_s = time.perf_counter() - t0
        for label, day in (("catch-up", AS_OF), ("next day", AS_OF + dt.timedelta(days=1))):
            rows, base_s = baseline(day) if label == "catch-up" else (None, None)
            if base_s:
                base_s_catchup = base_s
            summary, sweep_s, queries, peak = timed_sweep(day)
            ratio = f"{sweep_s / base_s:6.1f}" if base_s else "     -"
            print(
                f"{n:>10} {label:>10} {summary.created:>7} "
                f"{(f'{base_s:.3f}' if base_s else '-'):>10} {sweep_s:>8.3f} {ratio} "
                f"{queries:>7} {peak / 2**20:>12.1f}"
                + (f"   (baseline rows {rows})" if rows is not None else "")
            )
        # The same catch-up day again, without the per-contract escalation check
        # (renewals.selectors.customer_has_responded), to show its share of the time.
        from django.db import connection

        import notifications.reminders.sweep as reminders

        with connection.cursor() as cur:
            cur.execute("TRUNCATE notifications_message, core_task CASCADE")
        original = reminders._customer_has_responded
        reminders._customer_has_responded = lambda ids: dict.fromkeys(ids, True)
        try:
            summary, sweep_s, queries, peak = timed_sweep(AS_OF)
        finally:
            reminders._customer_has_responded = original
        print(
            f"{n:>10} {'catch-up*':>10} {summary.created:>7} {base_s_catchup:>10.3f} "
            f"{sweep_s:>8.3f} {sweep_s / base_s_catchup:6.1f} {queries:>7} {peak / 2**20:>12.1f}"
            "   (* without the escalation check)"
        )
        print(f"{'':>10} seeded in {seed_s:.1f}s")


if __name__ == "__main__":
    main()
