"""The daily sweep: the contracts due by their reminder schedule (read by index), in
batches, set-based inserts of the outbox rows and the staff tasks, each batch's schedules
moved in the statement that inserts its reminders (see the package docstring)."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import logging
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from contracts.models import Contract, ContractStatus
from core.models import Task, TaskKind

from ..models import (
    Channel,
    Message,
)
from ..selectors import primary_contacts
from . import schedule_state
from .content import contract_rows
from .rules import ESCALATION_DAYS, RuleBook, due_offset, reminder_dedupe_key
from .schedule_state import SIGNED_SUCCESSOR

logger = logging.getLogger("notifications.reminders")


@dataclass
class SweepSummary:
    """What one sweep did. Every count but ``contracts_seen`` is of rows this run wrote
    (or found written): a rerun, or a sweep that a concurrent one beat to every insert,
    reports zeros however many contracts were due."""

    as_of: str = ""
    contracts_seen: int = 0  # contracts read: their schedule said due (not written)
    created: int = 0  # reminder messages inserted
    skipped: int = 0  # reminder messages due that existed already
    late: int = 0  # of ``created``, the late ones (catch-up after their offset day)
    tasks: int = 0  # staff tasks inserted, escalations included
    escalations: int = 0  # of ``tasks``, the escalations to a team lead

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_INSERT_REMINDERS = """
INSERT INTO {table} (created_at, updated_at, customer_id, contract_id, to_address, channel,
    kind, template_kind, language, subject, body_text, body_html, dedupe_key, status,
    attempts, next_attempt_at, last_error, provider_message_id, term_end, offset_days, late,
    rendered, context)
SELECT now(), now(), t.customer_id, t.contract_id, t.address, t.channel,
    'renewal_reminder', 'renewal_reminder', t.language, '', '', '', t.key, 'pending',
    0, now(), '', '', t.term_end, t.offset_days, t.late,
    false, jsonb_build_object('days_left', t.days_left)
FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[],
            %s::date[], %s::int[], %s::bool[], %s::int[])
     AS t(customer_id, contract_id, address, channel, language, key, term_end, offset_days,
          late, days_left)
ON CONFLICT DO NOTHING
RETURNING late
"""


def _due_contracts(as_of: dt.date, max_offset: int):
    signed_successor = Contract.objects.filter(
        predecessor_id=OuterRef("pk"), status__in=SIGNED_SUCCESSOR
    )
    return (
        Contract.objects.filter(
            status=ContractStatus.ACTIVE,
            end_date__gt=as_of,
            end_date__lte=as_of + dt.timedelta(days=max_offset),
        )
        .filter(~Exists(signed_successor))
        .order_by("end_date", "id")
    )


# The contracts the schedule says are due (``due_on <= as_of``, partial index
# ``reminder_schedule_due``), each with its due offset by the rule of the day (the
# smallest of its offsets ≥ the days left, NULL when it may not be reminded: not active,
# ended, or renewal signed), how many reminders it already has at that offset (the unique
# index of (contract, term_end, offset_days, channel, customer)), and its schedule after
# today: the day of its largest offset below the days left, NULL when none is left or it
# may not be reminded. The offsets per (plan, tier, auto-renew) come from the RuleBook as
# a small JSON table (schedule_state.rules_table). The row's current values are returned
# too: moving the schedule is a compare-and-swap on them, so a change made meanwhile (the
# triggers reset the value) is never overwritten with a value worked out before it.
_DUE = (
    "WITH "  # noqa: S608 (constant fragments, values are parameters)
    + schedule_state.RULES_CTE
    + """
SELECT c.id, c.end_date, o.offsets IS NULL, d.due,
    CASE WHEN d.due IS NULL THEN 0 ELSE (
        SELECT count(*) FROM {message} m
        WHERE m.kind = 'renewal_reminder' AND m.contract_id = c.id
          AND m.term_end = c.end_date AND m.offset_days = d.due
          AND m.customer_id = c.customer_id
    ) END,
    CASE WHEN e.eligible THEN c.end_date - (
        SELECT max(x) FROM unnest(o.offsets) x WHERE x < c.end_date - %(as_of)s::date
    ) END,
    rs.due_on, c.status, c.auto_renew, c.plan_id
FROM {schedule} rs
JOIN {contract} c ON c.id = rs.contract_id
"""
    + schedule_state.RULES_JOIN
    + """
CROSS JOIN LATERAL (
    SELECT c.status = %(active)s AND c.end_date > %(as_of)s::date AND NOT """
    + schedule_state.SIGNED_SUCCESSOR_EXISTS
    + """ AS eligible
) e
CROSS JOIN LATERAL (
    SELECT CASE WHEN e.eligible THEN (
        SELECT min(x) FROM unnest(o.offsets) x WHERE x >= c.end_date - %(as_of)s::date
    ) END AS due
) d
WHERE rs.due_on <= %(as_of)s::date
ORDER BY c.end_date, c.id
"""
)

# Moves the schedule of the contracts read (compare-and-swap on what was read). As a CTE
# of the batch's INSERT of reminders (same statement), or alone for the rows that needed
# no reminder.
_ADVANCE = """
UPDATE {schedule} rs SET due_on = a.next
FROM unnest(%s::bigint[], %s::date[], %s::date[], %s::date[], %s::text[], %s::bool[],
            %s::bigint[]) AS a(id, next, seen, end_date, status, auto_renew, plan_id)
JOIN {contract} c ON c.id = a.id
WHERE rs.contract_id = a.id AND rs.due_on = a.seen AND c.end_date = a.end_date
  AND c.status = a.status AND c.auto_renew = a.auto_renew
  AND c.plan_id IS NOT DISTINCT FROM a.plan_id
  AND rs.due_on IS DISTINCT FROM a.next
"""

# (id, end date, unknown rule, due offset, already sent, advance) where advance is the
# _ADVANCE row (id, next, seen, end_date, status, auto_renew, plan_id) or None.
WindowRow = tuple[int, dt.date, bool, int | None, int, tuple | None]

WINDOW_CHUNK = 10_000  # rows per fetch from the server-side cursor


def _window(
    *, as_of: dt.date, max_offset: int, rules: str, chunk: int
) -> Iterator[list[WindowRow]]:
    """The due rows in chunks from a server-side cursor: Python memory stays flat whatever
    the number of rows (the first sweep after a long downtime, or a migration)."""
    if connection.vendor != "postgresql":
        # The embedded SQLite of `make run` keeps no schedule: every contract in the 30-day
        # window goes to Python, which decides its due offset (unknown_rule=True).
        ids = _due_contracts(as_of, max_offset).values_list("id", "end_date")
        batch: list[WindowRow] = []
        for cid, end in ids.iterator(chunk_size=chunk):
            batch.append((cid, end, True, None, 0, None))
            if len(batch) >= chunk:
                yield batch
                batch = []
        if batch:
            yield batch
        return
    sql = _DUE.format(**schedule_state.sql_tables())
    params = schedule_state.sql_params(rules, as_of)
    with connection.chunked_cursor() as cursor:
        # PostgreSQL plans a cursor for its first 10% of rows (cursor_tuple_fraction); we
        # read every row, so plan for all of them. The plan is fixed when the cursor is
        # declared, so the setting is restored right after.
        # JIT compiling the per-row offset expressions costs more than it saves on the
        # few thousand rows due: off while declaring too.
        with connection.cursor() as setting:
            setting.execute(
                "SELECT set_config('cursor_tuple_fraction', '1.0', false),"
                " set_config('jit', 'off', false)"
            )
        try:
            cursor.execute(sql, params)
        finally:
            # In a transaction the query aborted, the SET is rolled back with it anyway.
            with contextlib.suppress(DatabaseError), connection.cursor() as setting:
                setting.execute("RESET cursor_tuple_fraction; RESET jit")
        while rows := cursor.fetchmany(chunk):
            # A rule the table does not know (none today): Python decides its due offset
            # and its schedule is left for the next sweep to read again.
            yield [
                (
                    cid,
                    end,
                    unknown,
                    due,
                    sent,
                    None if unknown else (cid, nxt, seen, end, status, auto, plan_id),
                )
                for cid, end, unknown, due, sent, nxt, seen, status, auto, plan_id in rows
            ]


def _advance_columns(rows: list[tuple]) -> list[list]:
    cols: list[list] = [[] for _ in range(7)]
    for row in rows:
        for col, value in zip(cols, row, strict=True):
            col.append(value)
    return cols


def _advance(rows: list[tuple]) -> None:
    """Move the schedule of rows read that needed no reminder (one statement)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(_ADVANCE.format(**schedule_state.sql_tables()), _advance_columns(rows))


def _channels_for(row: dict[str, Any], contact: dict[str, str]) -> list[tuple[str, str]]:
    """(channel, address) pairs the customer chose and can be reached on.

    A renewal notice is legally required, so a customer who switched every channel off
    (or has no address) still gets it in the portal inbox.
    """
    out = []
    if row["customer__notify_email"] and contact.get("email"):
        out.append((Channel.EMAIL.value, contact["email"]))
    if row["customer__notify_sms"] and contact.get("phone"):
        out.append((Channel.SMS.value, contact["phone"]))
    if row["customer__notify_in_app"] or not out:
        out.append((Channel.IN_APP.value, ""))
    return out


def _customer_has_responded(contract_ids: list[int]) -> dict[int, bool]:
    try:
        from renewals import selectors as renewal_selectors
    except ImportError:  # renewals not installed: escalate, the safe side
        logger.warning("renewals.selectors missing; escalating every contract")
        return dict.fromkeys(contract_ids, False)
    # A set-based variant, if renewals offers one, answers a whole batch in one query.
    batch = getattr(renewal_selectors, "contracts_with_customer_response", None)
    if batch is not None:
        responded = set(batch(contract_ids=contract_ids))
        return {cid: cid in responded for cid in contract_ids}
    customer_has_responded = getattr(renewal_selectors, "customer_has_responded", None)
    if customer_has_responded is None:
        logger.warning("renewals.selectors.customer_has_responded missing; escalating")
        return dict.fromkeys(contract_ids, False)
    contracts = Contract.objects.in_bulk(contract_ids)
    return {cid: customer_has_responded(contract=c) for cid, c in contracts.items()}


def reminders_sweep(*, as_of: dt.date | None = None, batch_size: int = 5000) -> SweepSummary:
    """Create the renewal reminders (and staff tasks) due on ``as_of``. Safe to repeat."""
    as_of = as_of or timezone.localdate()
    summary = SweepSummary(as_of=as_of.isoformat())
    book = RuleBook()
    max_offset = book.max_offset()
    rules = schedule_state.rules_table(book)
    pending: list[tuple[int, tuple | None]] = []
    # Batches of 5,000 halved the queries and commits of 2,000 at 1M contracts; memory stays
    # bounded by the batch (a few MiB of row dicts) and the cursor's chunk of small tuples.
    chunks = _window(as_of=as_of, max_offset=max_offset, rules=rules, chunk=WINDOW_CHUNK)
    for chunk in itertools.chain(chunks, [[]]):
        summary.contracts_seen += len(chunk)
        idle: list[tuple] = []
        for cid, _end, unknown_rule, due, sent, advance in chunk:
            if unknown_rule or (due is not None and not sent):
                pending.append((cid, advance))
            else:
                summary.skipped += sent
                if advance is not None:
                    idle.append(advance)
        if chunk and connection.vendor == "postgresql":
            # One statement per chunk, even empty: the query count does not depend on rows.
            _advance(idle)
        done = not chunk
        while len(pending) >= batch_size or (done and pending):
            batch, pending = pending[:batch_size], pending[batch_size:]
            ids = [cid for cid, _advance_row in batch]
            advances = [a for _cid, a in batch if a is not None]
            rows = contract_rows(_due_contracts(as_of, max_offset).filter(id__in=ids))
            _sweep_batch(as_of, rows, book, summary, advances)
    return summary


def _sweep_batch(
    as_of: dt.date,
    rows: list[dict[str, Any]],
    book: RuleBook,
    summary: SweepSummary,
    advances: list[tuple],
) -> None:
    due: list[tuple[dict[str, Any], int, int]] = []
    for row in rows:
        tier = row["customer__tier_override"] or row["customer__tier"]
        offsets = book.offsets_for(plan_id=row["plan_id"], tier=tier, auto_renew=row["auto_renew"])
        days_left = (row["end_date"] - as_of).days
        offset = due_offset(days_left, offsets)
        if offset is not None:
            due.append((row, offset, days_left))
    if not due:
        if advances:
            _advance(advances)
        return
    contacts = primary_contacts(customer_ids={row["customer_id"] for row, _o, _d in due})
    planned: list[tuple[dict[str, Any], int, int, str, str, str]] = []
    for row, offset, days_left in due:
        for channel, address in _channels_for(row, contacts.get(row["customer_id"], {})):
            key = reminder_dedupe_key(
                contract_id=row["id"],
                term_end=row["end_date"],
                offset=offset,
                channel=channel,
                customer_id=row["customer_id"],
            )
            planned.append((row, offset, days_left, channel, address, key))
    # No query for the keys that exist already: the window query loaded only contracts
    # without their due reminder, and ON CONFLICT DO NOTHING below skips the rest (a
    # concurrent sweep, a channel already reminded); the row count tells them apart.
    fresh = planned
    # Stored unrendered: delivery renders each row (message_render). Rendering thousands of
    # templates here would make the sweep's time grow with template work, not with SQL.
    # One INSERT … SELECT FROM unnest(arrays) per batch; ON CONFLICT DO NOTHING lets a
    # concurrent sweep that inserted the same key first win quietly, and RETURNING gives
    # the rows this sweep really created: the summary counts those (and which of them are
    # late), never what was planned.
    # One list per column (psycopg2 sends a Python list as a PostgreSQL array).
    cols: list[list[Any]] = [[] for _ in range(10)]
    for row, offset, days_left, channel, address, key in fresh:
        values = (
            row["customer_id"],
            row["id"],
            address,
            channel,
            row["customer__language"],
            key,
            row["end_date"],
            offset,
            days_left < offset,
            days_left,
        )
        for col, value in zip(cols, values, strict=True):
            col.append(value)
    inserted: list[bool] = []  # the late flag of each row inserted
    # The messages and their staff tasks commit together (one commit per batch, too).
    with transaction.atomic():
        if fresh and connection.vendor != "postgresql":
            inserted = _reminders_insert_portable(fresh)
        elif fresh:
            # The reminders and the move of the batch's schedules: one statement.
            with connection.cursor() as cursor:
                cursor.execute(
                    _INSERT_ADVANCING.format(
                        table=Message._meta.db_table, **schedule_state.sql_tables()
                    ),
                    _advance_columns(advances) + cols,
                )
                inserted = [is_late for (is_late,) in cursor.fetchall()]
        _staff_tasks(as_of, fresh, summary)
    created = len(inserted)
    late = sum(inserted)
    summary.created += created
    # Inserted before (ON CONFLICT DO NOTHING): already sent.
    summary.skipped += len(fresh) - created
    summary.late += late


_INSERT_ADVANCING = "WITH advanced AS (" + _ADVANCE + " RETURNING 1) " + _INSERT_REMINDERS


def _reminders_insert_portable(fresh: list[tuple]) -> list[bool]:
    """The ORM version of _INSERT_REMINDERS for databases other than PostgreSQL (the
    embedded SQLite of `make run`, a single writer): skip the keys that exist, insert the
    rest; the unique constraints still refuse a duplicate. Returns the late flag of each
    row inserted."""
    keys = [key for *_rest, key in fresh]
    existing = set(Message.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True))
    now = timezone.now()
    new = [
        Message(
            customer_id=row["customer_id"],
            contract_id=row["id"],
            to_address=address,
            channel=channel,
            kind="renewal_reminder",
            template_kind="renewal_reminder",
            language=row["customer__language"],
            dedupe_key=key,
            status="pending",
            next_attempt_at=now,
            term_end=row["end_date"],
            offset_days=offset,
            late=days_left < offset,
            rendered=False,
            context={"days_left": days_left},
        )
        for row, offset, days_left, channel, address, key in fresh
        if key not in existing
    ]
    Message.objects.bulk_create(new, ignore_conflicts=True)
    return [m.late for m in new]


def _staff_tasks(as_of: dt.date, fresh: list[tuple], summary: SweepSummary) -> None:
    """A task for the account manager at each offset; an escalation to their team lead
    when the customer has not answered by ESCALATION_DAYS before the end."""
    tasks: list[tuple[Any, ...]] = []
    escalate: dict[int, dict[str, Any]] = {}
    seen: set[int] = set()
    # Translated once per batch, not per row (translation.override is not free).
    with translation.override(settings.LANGUAGE_CODE):
        title_format = _("Renewal reminder sent: %(number)s ends on %(date)s (%(days)s days left)")
        details = _("Follow up with the customer about the renewal.")
    for row, offset, days_left, *_rest in fresh:
        if row["id"] in seen:
            continue
        seen.add(row["id"])
        assignee = row["owner_id"] or row["customer__account_manager_id"]
        if not assignee:
            continue
        title = title_format % {
            "number": row["number"],
            "date": row["end_date"].isoformat(),
            "days": days_left,
        }
        tasks.append(
            (
                assignee,
                TaskKind.REMINDER.value,
                title[:300],
                details,
                as_of,
                row["customer_id"],
                row["id"],
                f"renewal_reminder_task:{row['id']}:{row['end_date']}:{offset}",
            )
        )
        if days_left <= ESCALATION_DAYS and offset <= ESCALATION_DAYS:
            escalate[row["id"]] = row
    if escalate:
        escalation_details = _("The customer has not responded to the renewal reminders.")
        responded = _customer_has_responded(list(escalate))
        for cid, row in escalate.items():
            if responded.get(cid):
                continue
            lead = row["owner__team_lead_id"] or row["owner_id"]
            if not lead:
                continue
            title = _("Escalation: no answer from %(customer)s, %(number)s ends on %(date)s") % {
                "customer": row["customer__name"],
                "number": row["number"],
                "date": row["end_date"].isoformat(),
            }
            tasks.append(
                (
                    lead,
                    TaskKind.ESCALATION.value,
                    title[:300],
                    escalation_details,
                    as_of,
                    row["customer_id"],
                    cid,
                    f"renewal_escalation:{cid}:{row['end_date']}",
                )
            )
    # Counted from the rows inserted: a task (or escalation) that exists already, from an
    # earlier or a concurrent sweep, is not created again and not reported again.
    created = _tasks_insert(tasks)
    summary.tasks += len(created)
    summary.escalations += created.count(TaskKind.ESCALATION.value)


_INSERT_TASKS = """
INSERT INTO {table} (created_at, updated_at, assignee_id, kind, title, details, due_date,
    customer_id, contract_id, dedupe_key)
SELECT now(), now(), t.assignee_id, t.kind, t.title, t.details, t.due_date, t.customer_id,
    t.contract_id, t.dedupe_key
FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::date[], %s::bigint[],
            %s::bigint[], %s::text[])
     AS t(assignee_id, kind, title, details, due_date, customer_id, contract_id, dedupe_key)
ON CONFLICT DO NOTHING
RETURNING kind
"""


_TASK_FIELDS = (
    "assignee_id",
    "kind",
    "title",
    "details",
    "due_date",
    "customer_id",
    "contract_id",
    "dedupe_key",
)


def _tasks_insert(tasks: list[tuple[Any, ...]]) -> list[str]:
    """Insert tasks (tuples in _TASK_FIELDS order) idempotently (unique dedupe_key, as
    core.services.task_create) in one statement; returns the kind of each task inserted.
    Falls back to the ORM if core's Task table gained a column this SQL does not know
    (core owns that table)."""
    if not tasks:
        return []
    if connection.vendor != "postgresql":
        return _tasks_insert_portable(tasks)
    cols = [list(col) for col in zip(*tasks, strict=True)]
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_INSERT_TASKS.format(table=Task._meta.db_table), cols)
            return [kind for (kind,) in cursor.fetchall()]
    except DatabaseError:
        logger.warning("set-based task insert failed; using the ORM", exc_info=True)
        return _tasks_insert_portable(tasks)


def _tasks_insert_portable(tasks: list[tuple[Any, ...]]) -> list[str]:
    """The ORM version of _INSERT_TASKS (the embedded SQLite of `make run`, or its
    fallback): skip the keys that exist, insert the rest; returns the kinds inserted."""
    keys = [t[_TASK_FIELDS.index("dedupe_key")] for t in tasks]
    existing = set(Task.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True))
    new = [dict(zip(_TASK_FIELDS, t, strict=True)) for t in tasks]
    new = [t for t in new if t["dedupe_key"] not in existing]
    Task.objects.bulk_create([Task(**t) for t in new], ignore_conflicts=True)
    return [t["kind"] for t in new]
