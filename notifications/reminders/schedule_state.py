"""The reminder schedule as state: ``ReminderSchedule.due_on`` (one narrow row per
contract), when a term's next renewal reminder is due (None: none is).

The value for a contract on day T (before or after T's sweep, it does not matter):

* None when the term cannot get a reminder any more: an ended or void contract, an end
  date on or before T, or a signed successor (docs/product.md §4);
* None for an open-ended contract going on month by month (automatic renewal on,
  contracts.open_ended): its end date is not an end to remind about;
* else ``end_date - o`` for the largest of its offsets ``o`` that has no reminder for this
  term yet (offsets whose day has not come are taken as unsent without asking);
* None when every offset has its reminder.

A date in the past is fine: the sweep reads every row with ``due_on <= today`` (partial
index ``reminder_schedule_due``) and works out the due offset by the rule of
the day (the smallest offset ≥ the days left, so catching up sends one late reminder),
then moves the value to the next smaller offset in the statement that inserts the
reminders. A value too early only makes the sweep read a row and move it on; a value too
late would skip a reminder, so every change that can make the true date earlier resets
it:

* any insert of a contract, and any change of its end date, status, auto-renewal, plan or
  customer (whatever wrote it: services, bulk imports, the admin, raw SQL), and a change of
  status of its successor: database triggers (notifications migration 0006) set the value
  to ``UNSCHEDULED`` (date.min), which the next sweep reads and decides. Nothing else
  writes the table, so a save of a stale contract instance cannot move a schedule back;
* a change of a customer's tier: the same trigger on the customer marks its contracts;
* a change of the reminder rules in the admin: ``reminder_schedule_recompute()`` of every
  open contract, in the admin's transaction;
* the lifecycle's subscription to every contract event (creation and imports write one
  too) calls ``reminder_schedule_on_contract_event``, which recomputes what the change
  unscheduled, so that the value is exact soon after the commit (the sweep then reads only
  what is really due);
* ``reminder_schedule_repair_task`` recomputes every open contract each night (set-based,
  writing only the rows whose value differs) as a last safety net.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone

from contracts.models import Contract, ContractStatus
from contracts.open_ended import OPEN_ENDED_CONTINUING_SQL, contract_event_table
from customers.models import Customer, Tier

from ..models import Message, ReminderSchedule
from .rules import RuleBook

# "Not worked out yet": read by the next sweep, which decides.
UNSCHEDULED = dt.date.min

# Statuses whose term may still get reminders (the sweep sends only to active ones; the
# others are scheduled as if active, so activation needs no recompute).
OPEN_STATUSES = (
    ContractStatus.DRAFT,
    ContractStatus.AWAITING_SIGNATURE,
    ContractStatus.AWAITING_PAYMENT,
    ContractStatus.SCHEDULED,
    ContractStatus.ACTIVE,
)

# A successor in one of these statuses means the renewal is signed: stop reminding.
SIGNED_SUCCESSOR = (
    ContractStatus.AWAITING_PAYMENT,
    ContractStatus.SCHEDULED,
    ContractStatus.ACTIVE,
)

ANY_TIER = "*"  # a customer tier the rule table has no row for


def rules_table(book: RuleBook) -> str:
    """The RuleBook's offsets for every (plan with a rule of its own, or none) × tier ×
    auto-renewal, as JSON for the SQL below. A plan without a rule of its own falls back
    like plan None; a tier outside Tier (ANY_TIER) gets what RuleBook gives an unknown tier."""
    plans: list[int | None] = [*sorted({p for p, _t in book.rules if p is not None}), None]
    return json.dumps(
        [
            {
                "plan_id": plan_id,
                "tier": tier,
                "auto_renew": auto,
                "offsets": book.offsets_for(plan_id=plan_id, tier=tier, auto_renew=auto),
            }
            for plan_id in plans
            for tier in [*Tier.values, ANY_TIER]
            for auto in (False, True)
        ]
    )


def sql_params(rules: str, as_of: dt.date) -> dict:
    """Parameters of the SQL below: ``rules`` is ``rules_table(book)``."""
    return {
        "rules": rules,
        "tiers": list(Tier.values),
        "any_tier": ANY_TIER,
        "as_of": as_of,
        "active": ContractStatus.ACTIVE.value,
        "open": [s.value for s in OPEN_STATUSES],
        "signed": [s.value for s in SIGNED_SUCCESSOR],
    }


def sql_tables() -> dict[str, str]:
    return {
        "schedule": ReminderSchedule._meta.db_table,
        "contract": Contract._meta.db_table,
        "customer": Customer._meta.db_table,
        "message": Message._meta.db_table,
        "contract_event": contract_event_table(),
    }


# The contract's offsets (``o.offsets``), joined from the rule table: the plan's own rule
# for the customer's effective tier, else plan None. Shared by the recompute and the sweep.
RULES_JOIN = """
JOIN {customer} cu ON cu.id = c.customer_id
CROSS JOIN LATERAL (
    SELECT CASE WHEN COALESCE(NULLIF(cu.tier_override, ''), cu.tier) = ANY(%(tiers)s::text[])
        THEN COALESCE(NULLIF(cu.tier_override, ''), cu.tier) ELSE %(any_tier)s END AS tier
) t
LEFT JOIN rules r1 ON r1.plan_id = c.plan_id AND r1.tier = t.tier
    AND r1.auto_renew = c.auto_renew
LEFT JOIN rules r0 ON r0.plan_id IS NULL AND r0.tier = t.tier AND r0.auto_renew = c.auto_renew
CROSS JOIN LATERAL (SELECT COALESCE(r1.offsets, r0.offsets) AS offsets) o
"""

RULES_CTE = """
rules AS (
    SELECT * FROM jsonb_to_recordset(%(rules)s::jsonb)
        AS r(plan_id bigint, tier text, auto_renew bool, offsets int[])
)
"""

# An open-ended contract going on month by month (contracts.open_ended): its end date is
# not an end, so it gets no end-of-term reminder (a statutory notice its rules require is
# statutory.py's, apart).
OPEN_ENDED_CONTINUING = OPEN_ENDED_CONTINUING_SQL

SIGNED_SUCCESSOR_EXISTS = """
EXISTS (
    SELECT 1 FROM {contract} s
    WHERE s.predecessor_id = c.id AND s.status = ANY(%(signed)s::text[])
)
"""

# A reminder of this term at offset x exists (any channel): the unique index of
# (contract, term_end, offset_days, channel, customer) for renewal reminders.
SENT_AT = """
EXISTS (
    SELECT 1 FROM {message} m
    WHERE m.kind = 'renewal_reminder' AND m.contract_id = c.id
      AND m.term_end = c.end_date AND m.offset_days = {offset}
      AND m.customer_id = c.customer_id
)
"""

_RECOMPUTE = (
    "WITH "  # noqa: S608 (constant fragments, values are parameters)
    + RULES_CTE
    + """,
computed AS (
    SELECT c.id, CASE
        WHEN NOT (c.status = ANY(%(open)s::text[])) OR c.end_date <= %(as_of)s::date THEN NULL
        WHEN """
    + SIGNED_SUCCESSOR_EXISTS
    + """ THEN NULL
        WHEN """
    + OPEN_ENDED_CONTINUING
    + """ THEN NULL
        ELSE c.end_date - (
            SELECT max(x) FROM unnest(o.offsets) x
            WHERE x < c.end_date - %(as_of)s::date OR NOT """
    + SENT_AT.replace("{offset}", "x")
    + """
        )
    END AS next
    FROM {contract} c
    LEFT JOIN {schedule} rs ON rs.contract_id = c.id
"""
    + RULES_JOIN
    + """
    WHERE {scope}
)
INSERT INTO {schedule} AS rs (contract_id, due_on)
SELECT id, next FROM computed
ON CONFLICT (contract_id) DO UPDATE SET due_on = EXCLUDED.due_on
WHERE rs.due_on IS DISTINCT FROM EXCLUDED.due_on
"""
)

# Every contract that may need a value, or holds one it should not.
_ALL = "(c.status = ANY(%(open)s::text[]) OR rs.due_on IS NOT NULL)"
# The contracts named, and their predecessors (a successor's status decides whether the
# predecessor is still reminded).
_SOME = (
    "(c.id = ANY(%(ids)s::bigint[]) OR c.id IN ("
    "SELECT p.predecessor_id FROM {contract} p WHERE p.id = ANY(%(ids)s::bigint[])))"
)


def reminder_schedule_recompute(
    *, contract_ids: Iterable[int] | None = None, as_of: dt.date | None = None
) -> int:
    """Set the schedule of the contracts named (and their predecessors), or of every
    contract when ``contract_ids`` is None, in one statement; returns the rows changed.

    Runs in the caller's transaction. Only PostgreSQL keeps the schedule: on other
    databases (the SQLite of `make run`) the sweep reads the whole window as before and
    this does nothing.
    """
    if connection.vendor != "postgresql":
        return 0
    as_of = as_of or timezone.localdate()
    params = sql_params(rules_table(RuleBook()), as_of)
    if contract_ids is None:
        scope = _ALL
    else:
        params["ids"] = sorted(set(contract_ids))
        if not params["ids"]:
            return 0
        scope = _SOME
    sql = _RECOMPUTE.replace("{scope}", scope).format(**sql_tables())
    with transaction.atomic(), connection.cursor() as cursor:
        # The per-row offset expressions make the planner's cost cross the JIT threshold,
        # and compiling them took longer than running the statement (20,000 contracts:
        # 1.7 s of 2 s). Off for this transaction only.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(sql, params)
        return cursor.rowcount


def reminder_schedule_refresh(contract: Contract, *, as_of: dt.date | None = None) -> None:
    """Recompute one contract's schedule (the same statement, for one id)."""
    reminder_schedule_recompute(contract_ids=[contract.pk], as_of=as_of)


def reminder_schedule_due_on(contract_id: int) -> dt.date | None:
    """A contract's stored schedule (None: none due, or no row)."""
    return (
        ReminderSchedule.objects.filter(contract_id=contract_id)
        .values_list("due_on", flat=True)
        .first()
    )


def reminder_schedule_on_contract_event(event) -> None:
    """The lifecycle's reaction to every contract event (lifecycle/subscriptions.py), after
    commit: if the change unscheduled the contract or its predecessor (the triggers decide
    what matters: dates, status, auto-renewal, plan, customer, successor), their exact value
    is computed now, so the next sweep reads only what is really due. One query when
    nothing was unscheduled."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT rs.contract_id FROM {ReminderSchedule._meta.db_table} rs"  # noqa: S608
            " WHERE rs.due_on = %s AND rs.contract_id IN ("
            f" SELECT %s UNION ALL SELECT predecessor_id FROM {Contract._meta.db_table}"
            " WHERE id = %s)",
            [UNSCHEDULED, event.contract_id, event.contract_id],
        )
        ids = [cid for (cid,) in cursor.fetchall()]
    if ids:
        reminder_schedule_recompute(contract_ids=ids)
