"""Fill the bench database with contracts, customers and their history, set-based.

    .venv/bin/python bench/seed.py --contracts 1000000 --customers 200000

Recreates the bench database (BENCH_DATABASE_URL, default renewdesk_bench), migrates it
and fills it with INSERT … SELECT generate_series statements (no Python loop per row),
printing rows per second for each table. Reused by every other benchmark.

What it makes, relative to today (the business date when it runs):
  * 1 team lead (bench-lead), 50 account managers, 10 plans, 50 portal users;
  * customers spread round-robin over the managers, one primary contact each (half have
    a second contact);
  * contracts spread round-robin over the customers: 55 % active (ends spread evenly over
    the next 365 days), 15 % renewed, 12 % expired, 4 % terminated (ended in the last two
    years), 4 % draft, 3 % awaiting signature, 2 % awaiting payment, 5 % scheduled; one in
    three auto-renews (with a consent row);
  * history: one line per contract, up to six events per contract (created … ended), a
    sent renewal reminder for every term whose 30-day reminder day has passed, a term
    invoice with one line for every contract signed, and an open renewal case for every
    active contract ending within 60 days;
  * every contract's reminder schedule (notifications.reminders.schedule_state).
Simplifications: renewed contracts have no successor row; there are no payments,
cancellation requests or documents.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

from common import django_setup, recreate_database, table_rows
from common import insert_select as ins

MANAGERS = 50
PLANS = 10
PORTAL_USERS = 50


def _users_and_plans() -> tuple[list[int], list[int], int]:
    from decimal import Decimal

    from common import MANAGER_PREFIX, TEAM_LEAD
    from django.contrib.auth.models import Permission

    from contracts.models import Plan
    from core.models import User

    lead = User(username=TEAM_LEAD, is_staff=True, first_name="Bench", last_name="Lead")
    lead.set_unusable_password()
    lead.save()
    lead.user_permissions.add(Permission.objects.get(codename="view_all_books"))
    managers = []
    for i in range(1, MANAGERS + 1):
        user = User(username=f"{MANAGER_PREFIX}{i}", is_staff=True, first_name="Manager")
        user.last_name = str(i)
        user.set_unusable_password()
        managers.append(user)
    User.objects.bulk_create(managers)
    manager_ids = list(
        User.objects.filter(username__startswith=MANAGER_PREFIX)
        .order_by("id")
        .values_list("id", flat=True)
    )
    plans = Plan.objects.bulk_create(
        Plan(
            code=f"BENCH-{i}",
            name=f"Bench plan {i}",
            price=Decimal(100 * i),
            default_auto_renew=i % 3 == 0,
        )
        for i in range(1, PLANS + 1)
    )
    return manager_ids, [p.pk for p in plans], lead.pk


def _portal_users() -> None:
    from common import PORTAL_PREFIX

    from core.models import User
    from customers.models import Customer, PortalAccount

    customers = list(Customer.objects.order_by("id")[:PORTAL_USERS])
    users = []
    for customer in customers:
        user = User(username=f"{PORTAL_PREFIX}{customer.pk}", email=f"p{customer.pk}@example.com")
        user.set_unusable_password()
        users.append(user)
    User.objects.bulk_create(users)
    by_name = {u.username: u for u in User.objects.filter(username__startswith=PORTAL_PREFIX)}
    PortalAccount.objects.bulk_create(
        PortalAccount(user=by_name[f"{PORTAL_PREFIX}{c.pk}"], customer=c) for c in customers
    )


def seed(*, contracts: int, customers: int, today: dt.date) -> None:
    from django.db import connection, transaction

    from billing.models import Invoice, InvoiceLine
    from contracts.models import AutoRenewConsent, Contract, ContractEvent, ContractLine
    from customers.models import Contact, Customer
    from notifications.models import Message
    from renewals.models import RenewalCase

    with connection.cursor() as cur:
        cur.execute("SET synchronous_commit TO off")
        cur.execute("SET maintenance_work_mem TO '256MB'")
    manager_ids, plan_ids, _lead = _users_and_plans()
    mgr = "ARRAY[" + ",".join(map(str, manager_ids)) + "]::bigint[]"
    plans = "ARRAY[" + ",".join(map(str, plan_ids)) + "]::bigint[]"
    t = f"DATE '{today.isoformat()}'"
    started = time.perf_counter()
    total = 0

    with transaction.atomic():
        total += ins(
            Customer,
            {
                "code": "'C' || lpad(g::text, 7, '0')",
                "name": "'Bench Customer ' || g",
                "kind": "CASE WHEN mod(g, 4) = 0 THEN 'individual' ELSE 'company' END",
                "account_manager_id": f"({mgr})[1 + mod(g - 1, {MANAGERS})]",
                "tier": "CASE WHEN mod(g * 13, 10) < 1 THEN 'A' "
                "WHEN mod(g * 13, 10) < 4 THEN 'B' ELSE 'C' END",
                "language": "CASE WHEN mod(g, 2) = 0 THEN 'en' ELSE 'zh-hans' END",
            },
            f"generate_series(1, {customers}) g",
        )
    with transaction.atomic():
        total += ins(
            Contact,
            {
                "customer_id": "c.id",
                "name": "CASE WHEN n = 1 THEN 'Primary ' ELSE 'Finance ' END || c.id",
                "email": "'c' || c.id || '-' || n || '@example.com'",
                "phone": "'+86 10 ' || lpad(c.id::text, 8, '0')",
                "is_primary": "n = 1",
            },
            "customers_customer c CROSS JOIN generate_series(1, 2) n "
            "WHERE n = 1 OR mod(c.id, 2) = 0",
        )
    _portal_users()

    # x: the contract's pseudo-random bucket (status), day offset and customer.
    # y: its status rank, status and end date. rank: 1 draft, 2 awaiting signature,
    # 3 awaiting payment, 4 scheduled, 5 active, 6 ended.
    contract_from = f"""
        generate_series(1::bigint, {contracts}) g
        CROSS JOIN LATERAL (SELECT mod(g * 7919, 100)::int AS b, mod(g * 31, 365)::int AS d,
                                   (1 + mod(g - 1, {customers}))::int AS cust) x
        CROSS JOIN LATERAL (SELECT
            CASE WHEN b < 55 THEN 'active' WHEN b < 70 THEN 'renewed'
                 WHEN b < 82 THEN 'expired' WHEN b < 86 THEN 'terminated'
                 WHEN b < 90 THEN 'draft' WHEN b < 93 THEN 'awaiting_signature'
                 WHEN b < 95 THEN 'awaiting_payment' ELSE 'scheduled' END AS status,
            CASE WHEN b < 55 THEN {t} + d
                 WHEN b < 86 THEN {t} - 1 - mod(g * 31, 730)::int
                 ELSE {t} + 364 + 1 + mod(g, 60)::int END AS end_d) y
    """
    with transaction.atomic():
        total += ins(
            Contract,
            {
                "number": "'HT-B-' || lpad(g::text, 7, '0')",
                "customer_id": "x.cust",
                "plan_id": f"({plans})[1 + mod(g, {PLANS})]",
                "owner_id": f"({mgr})[1 + mod(x.cust - 1, {MANAGERS})]",
                "status": "y.status",
                "start_date": "y.end_d - 364",
                "end_date": "y.end_d",
                "billing_period": "CASE WHEN mod(g, 4) = 0 THEN 'annual' ELSE 'monthly' END",
                "total_amount": "1000 + mod(g * 37, 200) * 500",
                "annual_value": "1000 + mod(g * 37, 200) * 500",
                "auto_renew": "mod(g, 3) = 0 AND y.status NOT IN ('draft', 'awaiting_signature')",
                "signed_at": "CASE WHEN y.status IN ('draft', 'awaiting_signature') THEN NULL "
                "ELSE (y.end_d - 384)::timestamptz END",
                "ended_at": "CASE WHEN y.status IN ('renewed', 'expired', 'terminated') "
                "THEN (y.end_d + 1)::timestamptz END",
                "created_at": "(y.end_d - 394)::timestamptz",
                "updated_at": "(y.end_d - 394)::timestamptz",
            },
            contract_from,
        )
    rank = """(CASE c.status WHEN 'draft' THEN 1 WHEN 'awaiting_signature' THEN 2
        WHEN 'awaiting_payment' THEN 3 WHEN 'scheduled' THEN 4 WHEN 'active' THEN 5
        ELSE 6 END)"""
    with transaction.atomic():
        total += ins(
            ContractLine,
            {
                "contract_id": "c.id",
                "plan_id": "c.plan_id",
                "description": "'Service subscription'",
                "quantity": "1",
                "unit_price": "c.total_amount",
            },
            "contracts_contract c",
        )
    with transaction.atomic():
        total += ins(
            ContractEvent,
            {
                "contract_id": "c.id",
                "at": "c.created_at + (e.n || ' days')::interval",
                "actor_id": "c.owner_id",
                "kind": "CASE WHEN e.n < 6 THEN e.kind WHEN c.status = 'renewed' THEN 'renewed' "
                "WHEN c.status = 'terminated' THEN 'terminated' ELSE 'expired' END",
                "from_status": "e.from_status",
                "to_status": "CASE WHEN e.n < 6 THEN e.to_status ELSE c.status END",
                "reason": "''",
            },
            f"""contracts_contract c CROSS JOIN (VALUES
                (1, 'created', '', 'draft'),
                (2, 'sent_for_signature', 'draft', 'awaiting_signature'),
                (3, 'signed', 'awaiting_signature', 'awaiting_payment'),
                (4, 'paid', 'awaiting_payment', 'scheduled'),
                (5, 'activated', 'scheduled', 'active'),
                (6, 'ended', 'active', '')) AS e(n, kind, from_status, to_status)
            WHERE e.n <= {rank}""",
            label="contracts_contractevent",
        )
    with transaction.atomic():
        total += ins(
            AutoRenewConsent,
            {
                "contract_id": "c.id",
                "customer_id": "c.customer_id",
                "enabled": "true",
                "text": "'Renew automatically at the end of each term.'",
                "text_version": "'bench-1'",
                "at": "c.signed_at",
                "channel": "'import'",
                "actor_id": "c.owner_id",
            },
            "contracts_contract c WHERE c.auto_renew",
        )
    with transaction.atomic():
        total += ins(
            Message,
            {
                "customer_id": "c.customer_id",
                "contract_id": "c.id",
                "to_address": "'c' || c.customer_id || '-1@example.com'",
                "channel": "'email'",
                "kind": "'renewal_reminder'",
                "template_kind": "'renewal_reminder'",
                "language": "cu.language",
                "subject": "'Your contract ' || c.number || ' ends on ' || c.end_date",
                "body_text": "'Your contract ends soon.'",
                "dedupe_key": "'renewal_reminder:' || c.id || ':' || c.end_date || ':30:email:' "
                "|| c.customer_id",
                "status": "'sent'",
                "attempts": "1",
                "next_attempt_at": "(c.end_date - 30)::timestamptz",
                "sent_at": "(c.end_date - 30)::timestamptz",
                "term_end": "c.end_date",
                "offset_days": "30",
                "created_at": "(c.end_date - 30)::timestamptz",
                "updated_at": "(c.end_date - 30)::timestamptz",
            },
            f"""contracts_contract c JOIN customers_customer cu ON cu.id = c.customer_id
            WHERE {rank} >= 5 AND c.end_date <= {t} + 30""",
        )
    with transaction.atomic():
        total += ins(
            Invoice,
            {
                "number": "'INV-B-' || lpad(c.id::text, 8, '0')",
                "customer_id": "c.customer_id",
                "contract_id": "c.id",
                "kind": "'term'",
                "status": "CASE WHEN c.status = 'awaiting_payment' THEN 'open' ELSE 'paid' END",
                "description": "'Term fee ' || c.number",
                "amount": "c.total_amount",
                "amount_paid": "CASE WHEN c.status = 'awaiting_payment' THEN 0 "
                "ELSE c.total_amount END",
                "issue_date": "c.start_date - 20",
                "due_date": "c.start_date - 6",
                "paid_at": "CASE WHEN c.status = 'awaiting_payment' THEN NULL "
                "ELSE (c.start_date - 10)::timestamptz END",
                "created_at": "(c.start_date - 20)::timestamptz",
                "updated_at": "(c.start_date - 20)::timestamptz",
            },
            f"contracts_contract c WHERE {rank} >= 3",
        )
    with transaction.atomic():
        total += ins(
            InvoiceLine,
            {
                "invoice_id": "i.id",
                "description": "'Service subscription'",
                "quantity": "1",
                "unit_price": "i.amount",
                "amount": "i.amount",
            },
            "billing_invoice i",
        )
    with transaction.atomic():
        total += ins(
            RenewalCase,
            {
                "contract_id": "c.id",
                "owner_id": "c.owner_id",
                "stage": "'intent_pending'",
                "opened_at": "(c.end_date - 60)::timestamptz",
            },
            f"contracts_contract c WHERE c.status = 'active' AND c.end_date <= {t} + 60",
        )
    seconds = time.perf_counter() - started
    print(
        f"  {'inserted':<32} {total:>10,} rows {seconds:>8.1f} s {total / seconds:>10,.0f} rows/s"
    )
    # The inserts left every open contract "unscheduled" (contracts migration 0008's
    # trigger): compute their reminder schedules, as the nightly repair does.
    from notifications.reminders.schedule_state import reminder_schedule_recompute

    t0 = time.perf_counter()
    scheduled = reminder_schedule_recompute(as_of=today)
    print(f"  reminder schedules {scheduled:>10,} rows {time.perf_counter() - t0:>8.1f} s")
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("VACUUM (ANALYZE)")
    print(f"  VACUUM ANALYZE {time.perf_counter() - t0:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--contracts", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=200_000)
    args = parser.parse_args()

    from common import BENCH_DB_NAME, machine_line

    print(f"seeding {BENCH_DB_NAME}: {args.contracts:,} contracts, {args.customers:,} customers")
    print(machine_line(), flush=True)
    recreate_database()
    django_setup()
    from django.core.management import call_command
    from django.utils import timezone

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"  migrate {time.perf_counter() - t0:.1f} s", flush=True)
    seed(contracts=args.contracts, customers=args.customers, today=timezone.localdate())
    print(f"done in {time.perf_counter() - t0:.1f} s")
    for table, rows in table_rows(
        [
            "customers_customer",
            "contracts_contract",
            "contracts_contractevent",
            "notifications_message",
            "billing_invoice",
            "renewals_renewalcase",
        ]
    ).items():
        print(f"  {table:<32} {rows:>10,}")


if __name__ == "__main__":
    main()
