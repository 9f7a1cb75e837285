"""Where a page's time goes in the database: each SQL query of a page, its time, and the
plan (EXPLAIN ANALYZE) of the slow ones. A tool for finding what to index, not a timing.

    .venv/bin/python bench/explain_pages.py [--slow-ms 5] [--only dashboard]

Requests the same pages as bench/pages.py in-process (Django test client, bench
settings, bench database) and prints the queries; asserts nothing.
"""

from __future__ import annotations

import argparse
import time

from common import django_setup, machine_line, scale_line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--slow-ms", type=float, default=5.0)
    parser.add_argument("--only", default="")
    parser.add_argument("--sql-chars", type=int, default=400)
    args = parser.parse_args()
    django_setup()
    print(machine_line())
    print(scale_line())
    import pages
    from django.db import connection
    from django.test import Client

    for label, path, headers in pages.targets():
        if args.only and args.only not in label:
            continue
        client = Client()
        extra = {}
        for key, value in headers.items():
            if key == "Cookie":
                for part in value.split("; "):
                    name, _eq, cookie = part.partition("=")
                    client.cookies[name] = cookie
            else:
                extra["HTTP_" + key.upper().replace("-", "_")] = value
        client.get(path, **extra)  # warm-up
        captured: list[tuple[float, str, object]] = []

        def timed(execute, sql, params, many, context, captured=captured):  # type: ignore[no-untyped-def]
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                captured.append(((time.perf_counter() - started) * 1000, sql, params))

        started = time.perf_counter()
        with connection.execute_wrapper(timed):
            response = client.get(path, **extra)
        total = (time.perf_counter() - started) * 1000
        sql_ms = sum(c[0] for c in captured)
        print(
            f"\n== {label}  {path}  status {response.status_code}  {total:.1f} ms, "
            f"{len(captured)} queries {sql_ms:.1f} ms"
        )
        for ms, sql, params in captured:
            print(f"  {ms:7.1f} ms  {sql[: args.sql_chars]}")
            if (
                ms >= args.slow_ms
                and sql.lstrip().upper().startswith("SELECT")
                and not many_of(params)
            ):
                with connection.cursor() as cur:
                    cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                    for (line,) in cur.fetchall():
                        print("           | " + line)


def many_of(params: object) -> bool:
    return isinstance(params, list) and bool(params) and isinstance(params[0], list | tuple)


if __name__ == "__main__":
    main()
