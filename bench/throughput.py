"""Requests per second with 2 gunicorn workers, against the minimal "ok" view.

    .venv/bin/python bench/throughput.py [--seconds 20] [--connections 4]

Starts gunicorn (bench.settings, 2 sync workers) on 127.0.0.1 against the bench
database and runs wrk (apt-get install -y wrk) on loopback, one target after the other,
each for ``--seconds`` (bounded in time): the "ok" view, the portal contract page, the
staff contracts list (ending within 30 days, as an account manager) and the same list
as a team lead. Prints requests per second, wrk's latency percentiles, non-2xx
responses and each figure's ratio to the "ok" view. Asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess

from common import (
    CSRF_COOKIE,
    MANAGER_PREFIX,
    PORTAL_PREFIX,
    TEAM_LEAD,
    Gunicorn,
    django_setup,
    machine_line,
    scale_line,
    session_cookie_for,
)


def wrk(url: str, cookie: str, seconds: int, connections: int) -> dict[str, str]:
    cmd = [
        "wrk",
        "-t",
        "1",
        "-c",
        str(connections),
        "-d",
        f"{seconds}s",
        "--latency",
        "--timeout",
        "30s",
    ]
    if cookie:
        cmd += ["-H", f"Cookie: sessionid={cookie}; {CSRF_COOKIE}"]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout  # noqa: S603
    rps = re.search(r"Requests/sec:\s+([0-9.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    lat = dict(re.findall(r"^\s+(50|90|99)%\s+(\S+)", out, re.M))
    return {
        "rps": rps.group(1) if rps else "nan",
        "p50": lat.get("50", "-"),
        "p90": lat.get("90", "-"),
        "p99": lat.get("99", "-"),
        "non2xx": non2xx.group(1) if non2xx else "0",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    django_setup()
    print(machine_line())
    print(scale_line())
    from contracts.models import Contract
    from customers.models import PortalAccount

    account = PortalAccount.objects.filter(user__username__startswith=PORTAL_PREFIX).first()
    contract = (
        Contract.objects.filter(customer_id=account.customer_id, status="active")
        .order_by("id")
        .first()
    )
    targets = [
        ("ok (minimal Django view)", "/bench/ok", ""),
        (
            "portal contract page",
            f"/portal/contracts/{contract.pk}/",
            session_cookie_for(account.user.username),
        ),
        (
            "contracts ending ≤30 d (manager)",
            "/staff/contracts/?ending_within=30",
            session_cookie_for(f"{MANAGER_PREFIX}1"),
        ),
        (
            "contracts ending ≤30 d (lead)",
            "/staff/contracts/?ending_within=30",
            session_cookie_for(TEAM_LEAD),
        ),
    ]
    print(
        f"gunicorn {args.workers} sync workers, wrk 1 thread {args.connections} connections, "
        f"{args.seconds} s per target, "
        f"STAFF_PAGE_CACHE_SECONDS={os.environ.get('STAFF_PAGE_CACHE_SECONDS', 'default (10)')}"
    )
    rows = []
    with Gunicorn(workers=args.workers, port=args.port) as server:
        for label, path, cookie in targets:
            wrk(server.base + path, cookie, 2, args.connections)  # warm-up
            rows.append((label, wrk(server.base + path, cookie, args.seconds, args.connections)))
    ok_rps = float(rows[0][1]["rps"])
    print(
        f"\n{'target':<34} {'req/s':>8} {'×ok':>6} {'p50':>9} {'p90':>9} {'p99':>9} {'non-2xx':>7}"
    )
    for label, r in rows:
        print(
            f"{label:<34} {float(r['rps']):>8.1f} {float(r['rps']) / ok_rps:>6.3f} "
            f"{r['p50']:>9} {r['p90']:>9} {r['p99']:>9} {r['non2xx']:>7}"
        )
    print(machine_line())


if __name__ == "__main__":
    main()
