"""Shared by the benchmarks: the bench database, Django set-up, percentiles and the
set-based insert helper used by seed.py. Benchmarks print figures; they assert nothing.

Every benchmark uses its own PostgreSQL database (never a test database):
``BENCH_DATABASE_URL`` (default postgres://renewdesk@127.0.0.1:5432/renewdesk_bench).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BENCH_DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://renewdesk@127.0.0.1:5432/renewdesk_bench"
)
BENCH_DB_NAME = BENCH_DATABASE_URL.rsplit("/", 1)[-1].split("?")[0]

# The CSRF cookie a browser holds after its first page (any 32 letters and digits are a
# valid secret); the staff page cache (core.page_cache) keys on it.
CSRF_COOKIE = "csrftoken=" + "b" * 32

# Users seed.py creates (passwords unusable: benchmarks log in by writing a session).
TEAM_LEAD = "bench-lead"
MANAGER_PREFIX = "bench-manager-"
PORTAL_PREFIX = "bench-portal-"


def bench_env() -> dict[str, str]:
    """Environment for a process (Django, gunicorn) that talks to the bench database."""
    env = dict(os.environ)
    env["DATABASE_URL"] = BENCH_DATABASE_URL
    env["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    env.setdefault("LOG_LEVEL", "WARNING")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def django_setup() -> None:
    os.environ.update(
        {k: v for k, v in bench_env().items() if k in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    )
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def admin_connect(dbname: str = "postgres") -> Any:
    import psycopg2

    conn = psycopg2.connect(host="127.0.0.1", user="renewdesk", dbname=dbname)
    conn.autocommit = True
    return conn


def recreate_database() -> None:
    conn = admin_connect()
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB_NAME}"')
        cur.execute(f'CREATE DATABASE "{BENCH_DB_NAME}"')
    conn.close()


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (pct in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, round(pct / 100 * len(ordered) + 0.4999))
    return ordered[min(rank, len(ordered)) - 1]


def summary_ms(values: Sequence[float]) -> dict[str, float]:
    return {
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "p99": percentile(values, 99),
        "mean": statistics.fmean(values),
    }


def machine_line() -> str:
    load = os.getloadavg()
    return (
        f"{os.cpu_count()} CPUs, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )


def scale_line() -> str:
    """How big the bench database is, for every benchmark's header."""
    from django.db import connection

    with connection.cursor() as cur:
        counts = []
        for table in ("contracts_contract", "customers_customer", "contracts_contractevent"):
            cur.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [table])
            row = cur.fetchone()
            counts.append(f"{table.split('_', 1)[1]}≈{row[0] if row else 0:,}")
    return "scale: " + ", ".join(counts)


def session_cookie_for(username: str) -> str:
    """A logged-in session for ``username`` written straight into the session store, as
    django.contrib.auth.login would (no password needed). Returns the session key."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from core.models import User

    user = User.objects.get(username=username)
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def _default_sql(field: Any, params: list[Any]) -> str:
    """SQL for a column seed.py does not set: the model default, NULL, now() or ''."""
    from django.db import connection, models

    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return "now()"
    if field.has_default():
        value = field.get_default()
        if callable(value):
            value = value()
        if isinstance(value, models.Model):
            value = value.pk
        params.append(field.get_db_prep_value(value, connection, prepared=False))
        return "%s"
    if field.null:
        return "NULL"
    if isinstance(field, models.CharField | models.TextField) or field.blank:
        return "''"
    raise ValueError(f"{field.model.__name__}.{field.name} needs a value in the seed")


def insert_select(
    model: Any, columns: dict[str, str], from_sql: str, label: str | None = None
) -> int:
    """One set-based ``INSERT INTO <table> (...) SELECT ... FROM <from_sql>``.

    ``columns`` maps column names to SQL expressions (use mod() rather than %, the
    statement carries parameters); every other concrete column gets its model default,
    so a field another app adds later does not break the seed. Prints rows per second.
    """
    from django.db import connection

    params: list[Any] = []
    names, exprs = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key and field.column not in columns:
            continue
        names.append(connection.ops.quote_name(field.column))
        exprs.append(
            columns[field.column] if field.column in columns else _default_sql(field, params)
        )
    unknown = set(columns) - {f.column for f in model._meta.concrete_fields}
    if unknown:
        raise ValueError(f"unknown columns for {model._meta.db_table}: {sorted(unknown)}")
    sql = (
        f"INSERT INTO {model._meta.db_table} ({', '.join(names)}) "
        f"SELECT {', '.join(exprs)} FROM {from_sql}"
    )
    started = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.rowcount
    seconds = time.perf_counter() - started
    print(
        f"  {label or model._meta.db_table:<32} {rows:>10,} rows {seconds:>8.1f} s "
        f"{rows / seconds if seconds else 0:>10,.0f} rows/s",
        flush=True,
    )
    return rows


def table_rows(tables: Iterable[str]) -> dict[str, int]:
    from django.db import connection

    out = {}
    with connection.cursor() as cur:
        for table in tables:
            cur.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - our own table names
            out[table] = cur.fetchone()[0]
    return out


# --- a real WSGI server on loopback -----------------------------------------------------


class Gunicorn:
    """gunicorn serving the app with bench.settings on 127.0.0.1 (a context manager)."""

    def __init__(self, *, workers: int = 1, port: int = 8765) -> None:
        self.workers = workers
        self.port = port
        self.proc: Any = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Gunicorn:
        import subprocess
        import urllib.request

        self.proc = subprocess.Popen(  # noqa: S603 - our own command line
            [
                str(ROOT / ".venv/bin/gunicorn"),
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--worker-class",
                "sync",
                "--log-level",
                "warning",
                "--timeout",
                "120",
            ],
            cwd=ROOT,
            env=bench_env(),
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"{self.base}/bench/ok", timeout=5) as r:  # noqa: S310
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        self.__exit__(None, None, None)
        raise RuntimeError("gunicorn did not start")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except Exception:
                self.proc.kill()
            self.proc = None


def http_get(url: str, headers: dict[str, str]) -> tuple[int, float, int, float]:
    """One GET on a fresh connection: (status, server ms from Server-Timing, queries,
    client ms)."""
    import http.client
    import re
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    started = time.perf_counter()
    conn.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers)
    response = conn.getresponse()
    response.read()
    client_ms = (time.perf_counter() - started) * 1000
    conn.close()
    timing = response.getheader("Server-Timing") or ""
    dur = re.search(r"app;dur=([0-9.]+)", timing)
    queries = re.search(r'"(\d+) queries"', timing)
    return (
        response.status,
        float(dur.group(1)) if dur else float("nan"),
        int(queries.group(1)) if queries else -1,
        client_ms,
    )
