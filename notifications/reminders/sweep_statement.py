# ruff: noqa: S608 -- the SQL is built from constant fragments; every value is a parameter.
"""The sweep on PostgreSQL: one statement per batch (a chain of CTEs) that reads the batch
of due rows by the schedule's index, works out each one's due offset and next schedule
from the RuleBook's offsets, inserts the reminders (one per channel the customer chose and
can be reached on), the staff tasks and the escalations, and moves the schedules; it
returns the batch's counts. Nothing goes through Python per row.

The offsets come from ``RuleBook`` as the JSON rule table of schedule_state (the same
fragments as the schedule's recompute); the due offset, the channel choice and the dedupe
keys are the SQL renderings kept next to their Python versions in rules.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import connection, transaction

from core.models import Task, TaskKind
from customers.models import Contact

from ..models import Channel
from . import schedule_state
from .content import staff_task_texts
from .rules import (
    CHANNELS_SQL,
    DUE_OFFSET_SQL,
    ESCALATION_DAYS,
    REMINDER_DEDUPE_KEY_SQL,
    TITLE_MARK,
)

# Keyset over the partial index ``reminder_schedule_due``, in (due_on, contract) order: a
# row the batch moved leaves the range (its next day is after ``as_of``, or NULL); one it
# could not move (changed meanwhile) is not read twice in this sweep.
_BATCH = """
batch AS MATERIALIZED (
    SELECT rs.contract_id, rs.due_on, rs.xmin AS version
    FROM {schedule} rs
    WHERE rs.due_on <= %(as_of)s::date
      AND (rs.due_on, rs.contract_id) > (%(after_due)s::date, %(after_id)s::bigint)
    ORDER BY rs.due_on, rs.contract_id
    LIMIT %(limit)s
)"""

# Each contract of the batch: the due offset by the rule of the day (NULL when it may not
# be reminded: not active, ended, renewal signed, or open-ended and going on), how many
# reminders it already has at that offset, and its next schedule (the day of its largest
# offset below the days left).
_DUE = (
    """
due AS MATERIALIZED (
    SELECT c.id, c.customer_id, c.number, c.end_date, c.owner_id, b.version,
        c.end_date - %(as_of)s::date AS days_left, o.offsets IS NULL AS unknown, d.due,
        CASE WHEN d.due IS NULL THEN 0 ELSE (
            SELECT count(*) FROM {message} m
            WHERE m.kind = 'renewal_reminder' AND m.contract_id = c.id
              AND m.term_end = c.end_date AND m.offset_days = d.due
              AND m.customer_id = c.customer_id
        ) END AS sent,
        CASE WHEN e.eligible THEN c.end_date - (
            SELECT max(x) FROM unnest(o.offsets) x WHERE x < c.end_date - %(as_of)s::date
        ) END AS next,
        cu.name AS customer_name, cu.language, cu.notify_email, cu.notify_sms,
        cu.notify_in_app, cu.account_manager_id
    FROM batch b
    JOIN {contract} c ON c.id = b.contract_id"""
    + schedule_state.RULES_JOIN
    + """
    CROSS JOIN LATERAL (
        SELECT c.status = %(active)s AND c.end_date > %(as_of)s::date AND NOT """
    + schedule_state.SIGNED_SUCCESSOR_EXISTS
    + " AND NOT "
    + schedule_state.OPEN_ENDED_CONTINUING
    + """ AS eligible
    ) e
    CROSS JOIN LATERAL (
        SELECT CASE WHEN e.eligible THEN """
    + DUE_OFFSET_SQL.format(offsets="o.offsets", days_left="c.end_date - %(as_of)s::date")
    + """ END AS due
    ) d
)"""
)

# Compare-and-swap on the row version read: a schedule a trigger reset after the read
# (a contract changed meanwhile; PostgreSQL re-checks the newest version before writing)
# keeps its new value for the next sweep. A rule the table does not know (none today) is
# left due, to be read again.
_MOVED = """
moved AS (
    UPDATE {schedule} rs SET due_on = d.next
    FROM due d
    WHERE rs.contract_id = d.id AND rs.xmin = d.version AND NOT d.unknown
      AND rs.due_on IS DISTINCT FROM d.next
    RETURNING 1
)"""

# The reminders: a contract with no reminder at its due offset yet gets one per channel.
# The primary (else first) contact's email and phone, as notifications.selectors'
# primary_contacts picks them.
_PLANNED = (
    """
planned AS (
    SELECT d.id, d.customer_id, d.end_date, d.due, d.days_left, d.language,
        ch.channel, ch.address
    FROM due d
    CROSS JOIN LATERAL (
        SELECT (array_agg(ct.email ORDER BY ct.is_primary DESC, ct.id)
                    FILTER (WHERE ct.email <> ''))[1] AS email,
            (array_agg(ct.phone ORDER BY ct.is_primary DESC, ct.id)
                    FILTER (WHERE ct.phone <> ''))[1] AS phone
        FROM {contact} ct WHERE ct.customer_id = d.customer_id
    ) em
    CROSS JOIN LATERAL (SELECT em.phone) ph
    CROSS JOIN LATERAL """
    + CHANNELS_SQL
    + """
    WHERE d.due IS NOT NULL AND d.sent = 0 AND ch.wanted
)"""
)

# Stored unrendered: delivery renders each row. ON CONFLICT DO NOTHING lets a concurrent
# sweep that inserted the same key first win quietly; RETURNING gives what this one made.
_INSERTED = (
    """
inserted AS (
    INSERT INTO {message} (created_at, updated_at, customer_id, contract_id, to_address,
        channel, kind, template_kind, language, subject, body_text, body_html, dedupe_key,
        status, attempts, next_attempt_at, last_error, provider_message_id, term_end,
        offset_days, late, rendered, context)
    SELECT now(), now(), p.customer_id, p.id, p.address, p.channel, 'renewal_reminder',
        'renewal_reminder', p.language, '', '', '', """
    + REMINDER_DEDUPE_KEY_SQL.format(
        contract_id="p.id",
        term_end="p.end_date",
        offset="p.due",
        channel="p.channel",
        customer_id="p.customer_id",
    )
    + """,
        'pending', 0, now(), '', '', p.end_date, p.due, p.days_left < p.due, false,
        jsonb_build_object('days_left', p.days_left)
    FROM planned p
    ON CONFLICT DO NOTHING
    RETURNING late
)"""
)


def _title(template: str, **columns: str) -> str:
    """The SQL of a task title: the translated template with each placeholder mark
    replaced by its column, cut to the field's 300 characters."""
    sql = "%(" + template + ")s"
    for name, column in columns.items():
        sql = f"replace({sql}, '{TITLE_MARK.format(name)}', {column})"
    return f"left({sql}, 300)"


# A task for the account manager at each offset; an escalation to their team lead when the
# customer has not answered (``responded``: renewals' read, passed in) by ESCALATION_DAYS.
_TASKS = (
    """
task_rows AS (
    SELECT COALESCE(d.owner_id, d.account_manager_id) AS assignee_id, %(task_kind)s AS kind, """
    + _title(
        "task_title",
        number="d.number",
        date="to_char(d.end_date, 'YYYY-MM-DD')",
        days="d.days_left::text",
    )
    + """ AS title, %(task_details)s AS details, d.customer_id, d.id AS contract_id,
        'renewal_reminder_task:' || d.id || ':' || to_char(d.end_date, 'YYYY-MM-DD')
            || ':' || d.due AS dedupe_key
    FROM due d
    WHERE d.due IS NOT NULL AND d.sent = 0
      AND COALESCE(d.owner_id, d.account_manager_id) IS NOT NULL
    UNION ALL
    SELECT COALESCE(u.team_lead_id, d.owner_id), %(escalation_kind)s, """
    + _title(
        "escalation_title",
        customer="d.customer_name",
        number="d.number",
        date="to_char(d.end_date, 'YYYY-MM-DD')",
    )
    + """, %(escalation_details)s, d.customer_id, d.id,
        'renewal_escalation:' || d.id || ':' || to_char(d.end_date, 'YYYY-MM-DD')
    FROM due d
    LEFT JOIN {user} u ON u.id = d.owner_id
    WHERE d.due IS NOT NULL AND d.sent = 0
      AND d.days_left <= %(escalation_days)s AND d.due <= %(escalation_days)s
      AND NOT d.id = ANY(%(responded)s::bigint[])
      AND COALESCE(u.team_lead_id, d.owner_id) IS NOT NULL
),
tasks AS (
    INSERT INTO {task} (created_at, updated_at, assignee_id, kind, title, details, due_date,
        customer_id, contract_id, dedupe_key)
    SELECT now(), now(), t.assignee_id, t.kind, t.title, t.details, %(as_of)s::date,
        t.customer_id, t.contract_id, t.dedupe_key
    FROM task_rows t
    ON CONFLICT DO NOTHING
    RETURNING kind
)"""
)

_COUNTS = """
SELECT (SELECT count(*) FROM batch),
    (SELECT due_on FROM batch ORDER BY due_on DESC, contract_id DESC LIMIT 1),
    (SELECT max(contract_id) FROM batch WHERE due_on = (SELECT max(due_on) FROM batch)),
    (SELECT count(*) FROM planned),
    (SELECT count(*) FROM inserted),
    (SELECT count(*) FROM inserted WHERE late),
    (SELECT COALESCE(sum(sent), 0) FROM due WHERE sent > 0),
    (SELECT count(*) FROM tasks),
    (SELECT count(*) FROM tasks WHERE kind = %(escalation_kind)s),
    (SELECT count(*) FROM due WHERE unknown),
    (SELECT count(*) FROM moved)
"""

BATCH_SQL = (
    "WITH "
    + schedule_state.RULES_CTE
    + ","
    + ",".join((_BATCH, _DUE, _MOVED, _PLANNED, _INSERTED, _TASKS))
    + _COUNTS
)


@dataclass
class BatchCounts:
    read: int  # due rows read
    last: tuple[dt.date, int] | None  # the keyset position after the batch
    planned: int  # reminders due (rows offered to the INSERT)
    created: int
    late: int
    sent_before: int  # reminders found at the due offset of a contract, not offered again
    tasks: int
    escalations: int
    unknown_rule: int
    moved: int


def sql_batch_params(
    *, as_of: dt.date, rules: str, responded: Collection[int], batch_size: int
) -> dict:
    """The parameters of BATCH_SQL but the keyset position (``after_due``, ``after_id``)."""
    texts = staff_task_texts()
    return {
        **schedule_state.sql_params(rules, as_of),
        "limit": batch_size,
        "responded": sorted(responded),
        "escalation_days": ESCALATION_DAYS,
        "email": Channel.EMAIL.value,
        "sms": Channel.SMS.value,
        "in_app": Channel.IN_APP.value,
        "task_kind": TaskKind.REMINDER.value,
        "escalation_kind": TaskKind.ESCALATION.value,
        **texts,
    }


def sql_batch() -> str:
    return BATCH_SQL.format(
        **schedule_state.sql_tables(),
        contact=Contact._meta.db_table,
        task=Task._meta.db_table,
        user=get_user_model()._meta.db_table,
    )


def batch_run(sql: str, params: dict, after: tuple[dt.date, int]) -> BatchCounts:
    """One batch in its own transaction: the reminders, tasks and moved schedules commit
    together."""
    with transaction.atomic(), connection.cursor() as cursor:
        # JIT compiling the per-row offset expressions costs more than it saves on the
        # few thousand rows due.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(sql, {**params, "after_due": after[0], "after_id": after[1]})
        row = cursor.fetchone()
    read, last_due, last_id, *counts = row
    return BatchCounts(read, (last_due, last_id) if read else None, *counts)


_ESCALATION_CANDIDATES = """
SELECT rs.contract_id FROM {schedule} rs JOIN {contract} c ON c.id = rs.contract_id
WHERE rs.due_on <= %(as_of)s::date
  AND c.end_date > %(as_of)s::date AND c.end_date <= %(as_of)s::date + %(days)s
"""


def escalation_candidates(as_of: dt.date) -> list[int]:
    """The due contracts close enough to their end to be escalated today (by the index):
    the ids the renewals read is asked about, once per sweep."""
    with connection.cursor() as cursor:
        cursor.execute(
            _ESCALATION_CANDIDATES.format(**schedule_state.sql_tables()),
            {"as_of": as_of, "days": ESCALATION_DAYS},
        )
        return [cid for (cid,) in cursor.fetchall()]
