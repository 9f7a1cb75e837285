"""Server-side time of the main pages through gunicorn, against a minimal "ok" view.

    .venv/bin/python bench/pages.py [--requests 200] [--workers 1]

Runs gunicorn (bench.settings: DEBUG off, cached templates, persistent connections) on
127.0.0.1 against the bench database filled by bench/seed.py, then requests every page
round-robin (so that a change in machine load hits every page alike), each at least
``--requests`` times after a warm-up, one request at a time. The server's own time comes
from the Server-Timing header (bench.middleware, outermost middleware); it prints p50,
p95 and p99 of it, the SQL queries per request, and each figure's ratio to the "ok"
view's. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os

from common import (
    CSRF_COOKIE,
    MANAGER_PREFIX,
    PORTAL_PREFIX,
    TEAM_LEAD,
    Gunicorn,
    django_setup,
    http_get,
    machine_line,
    scale_line,
    session_cookie_for,
    summary_ms,
)

DEEP_PAGE = 400


def targets() -> list[tuple[str, str, dict[str, str]]]:
    """(label, path, headers) for every page measured, logged in as the right person."""
    from django.db.models import Count
    from django.utils import timezone

    from api.services import api_token_create
    from contracts.models import Contract, ContractStatus
    from core.models import User
    from customers.models import Customer, PortalAccount

    lead = User.objects.get(username=TEAM_LEAD)
    manager = User.objects.get(username=f"{MANAGER_PREFIX}1")
    # Session and CSRF cookie, as a browser sends them after its first page.
    lead_cookie = {"Cookie": f"sessionid={session_cookie_for(TEAM_LEAD)}; {CSRF_COOKIE}"}
    manager_cookie = {"Cookie": f"sessionid={session_cookie_for(manager.username)}; {CSRF_COOKIE}"}
    # A customer of manager 1 with as many contracts as customers usually have.
    customer = (
        Customer.objects.filter(account_manager=manager)
        .annotate(n=Count("contracts"))
        .order_by("-n", "id")
        .first()
    )
    account = PortalAccount.objects.filter(user__username__startswith=PORTAL_PREFIX).first()
    portal_contract = (
        Contract.objects.filter(customer_id=account.customer_id, status=ContractStatus.ACTIVE)
        .order_by("id")
        .first()
    )
    portal_cookie = {
        "Cookie": f"sessionid={session_cookie_for(account.user.username)}; {CSRF_COOKIE}"
    }
    _token, raw = api_token_create(user=lead, name=f"bench {timezone.now():%H%M%S}", scope="read")
    api = {"Authorization": f"Bearer {raw}", "Accept": "application/json"}
    # A deep page of the unfiltered list reached by ?page=N (OFFSET 10,000 by default:
    # offset pagination reads and throws away every row before it), and the middle of
    # the list (row 500,000 of 1M) as the list's own "Next" link reaches it: a keyset
    # cursor made from the row before it, as core.pagination writes it.
    deep = DEEP_PAGE
    from contracts.selectors import CONTRACT_DEFAULT_SORT, CONTRACT_SORTS
    from core.pagination import encode_cursor

    order = CONTRACT_SORTS[CONTRACT_DEFAULT_SORT]
    total = Contract.objects.count()
    middle = Contract.objects.order_by(*order).select_related("customer")[total // 2]
    middle_page = total // 2 // 25 + 1
    cursor = encode_cursor(middle, order, middle_page)
    return [
        ("ok (minimal Django view)", "/bench/ok", {}),
        ("contracts: ending ≤30 d (lead)", "/staff/contracts/?ending_within=30", lead_cookie),
        ("contracts: by manager (lead)", f"/staff/contracts/?manager={manager.pk}", lead_cookie),
        (
            "contracts: ending ≤30 d + manager",
            f"/staff/contracts/?ending_within=30&manager={manager.pk}",
            lead_cookie,
        ),
        ("contracts: ending ≤30 d (manager)", "/staff/contracts/?ending_within=30", manager_cookie),
        (f"contracts: ?page={deep} (lead)", f"/staff/contracts/?page={deep}", lead_cookie),
        (
            f"contracts: page {middle_page:,} by Next (lead)",
            f"/staff/contracts/?after={cursor}",
            lead_cookie,
        ),
        ("customers list (lead)", "/staff/customers/", lead_cookie),
        ("customers list (manager)", "/staff/customers/", manager_cookie),
        ("customer detail", f"/staff/customers/{customer.pk}/", manager_cookie),
        ("dashboard /staff/ (lead)", "/staff/", lead_cookie),
        ("dashboard /staff/ (manager)", "/staff/", manager_cookie),
        ("portal contract page", f"/portal/contracts/{portal_contract.pk}/", portal_cookie),
        ("API contracts list (lead)", "/api/v1/contracts/", api),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--only", default="", help="measure only pages whose label contains this")
    parser.add_argument("--deep-page", type=int, default=DEEP_PAGE)
    args = parser.parse_args()
    globals()["DEEP_PAGE"] = args.deep_page

    django_setup()
    print(machine_line())
    print(scale_line())
    print(
        f"today {dt.date.today()}, {args.requests} requests per page, gunicorn "
        f"{args.workers} sync worker(s), one request at a time, STAFF_PAGE_CACHE_SECONDS="
        f"{os.environ.get('STAFF_PAGE_CACHE_SECONDS', 'default (10)')}",
        flush=True,
    )
    pages = targets()
    if args.only:
        pages = [p for p in pages if p[0].startswith("ok") or args.only in p[0]]
    results: dict[str, dict] = {
        label: {"ms": [], "client": [], "q": set(), "st": set()} for label, _p, _h in pages
    }
    with Gunicorn(workers=args.workers, port=args.port) as server:
        for _ in range(args.warmup):
            for _label, path, headers in pages:
                http_get(server.base + path, headers)
        for _ in range(args.requests):
            for label, path, headers in pages:
                status, ms, queries, client = http_get(server.base + path, headers)
                r = results[label]
                r["st"].add(status)
                r["q"].add(queries)
                if not math.isnan(ms):
                    r["ms"].append(ms)
                r["client"].append(client)
    ok = summary_ms(results[pages[0][0]]["ms"])
    print(
        f"\n{'page':<36} {'status':>6} {'queries':>7} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'p99 ms':>8} {'×ok p50':>8} {'×ok p95':>8} {'client p50':>10}"
    )
    for label, _path, _h in pages:
        r = results[label]
        s = summary_ms(r["ms"])
        c = summary_ms(r["client"])
        print(
            f"{label:<36} {','.join(map(str, sorted(r['st']))):>6} "
            f"{','.join(map(str, sorted(r['q']))):>7} {s['p50']:>8.1f} {s['p95']:>8.1f} "
            f"{s['p99']:>8.1f} {s['p50'] / ok['p50']:>8.1f} {s['p95'] / ok['p95']:>8.1f} "
            f"{c['p50']:>10.1f}"
        )
    print(machine_line())


if __name__ == "__main__":
    main()
