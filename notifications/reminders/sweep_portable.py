"""The sweep on databases other than PostgreSQL: the embedded SQLite of `make run`.

Why it exists: SQLite has no data-modifying CTEs, arrays or ``xmin``, so the one-statement
batch of sweep_statement.py cannot run there, and the schedule's triggers are PostgreSQL
only (schedule_state.py), so there is no schedule to read by index. This path reads every
active contract in the window of the largest offset, and applies the same rules in Python:
the RuleBook's offsets, ``due_offset``, ``channels_for``, ``reminder_dedupe_key`` (rules.py;
their SQL renderings sit next to them and are tested against them). A single writer, so it
skips the keys that exist and lets the unique constraints refuse any other duplicate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from contracts.models import Contract, ContractStatus
from contracts.open_ended import open_ended_continuing
from core.models import Task, TaskKind

from ..models import Message
from ..selectors import primary_contacts
from .content import contract_rows, staff_task_texts, staff_task_title
from .rules import ESCALATION_DAYS, RuleBook, channels_for, due_offset, reminder_dedupe_key
from .schedule_state import SIGNED_SUCCESSOR
from .sweep_summary import SweepSummary


def _window(as_of: dt.date, max_offset: int):
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
        # An open-ended contract going on month by month has no end to remind about.
        .exclude(open_ended_continuing())
        .order_by("end_date", "id")
    )


def sweep_portable(
    *,
    as_of: dt.date,
    batch_size: int,
    customer_responded: Callable[[list[int]], Iterable[int]],
    summary: SweepSummary,
) -> None:
    book = RuleBook()
    ids = list(_window(as_of, book.max_offset()).values_list("id", flat=True))
    for start in range(0, len(ids), batch_size):
        rows = contract_rows(
            _window(as_of, book.max_offset()).filter(id__in=ids[start : start + batch_size])
        )
        summary.contracts_seen += len(rows)
        _batch(as_of, rows, book, customer_responded, summary)


def _batch(
    as_of: dt.date,
    rows: list[dict[str, Any]],
    book: RuleBook,
    customer_responded: Callable[[list[int]], Iterable[int]],
    summary: SweepSummary,
) -> None:
    due: list[tuple[dict[str, Any], int, int]] = []
    for row in rows:
        tier = row["customer__tier_override"] or row["customer__tier"]
        offsets = book.offsets_for(plan_id=row["plan_id"], tier=tier, auto_renew=row["auto_renew"])
        days_left = (row["end_date"] - as_of).days
        offset = due_offset(days_left, offsets)
        if offset is None:
            continue
        sent = Message.objects.filter(
            kind="renewal_reminder",
            contract_id=row["id"],
            term_end=row["end_date"],
            offset_days=offset,
            customer_id=row["customer_id"],
        ).count()
        if sent:
            summary.skipped += sent
        else:
            due.append((row, offset, days_left))
    if not due:
        return
    contacts = primary_contacts(customer_ids={row["customer_id"] for row, _o, _d in due})
    now = timezone.now()
    new = []
    for row, offset, days_left in due:
        contact = contacts.get(row["customer_id"], {})
        for channel, address in channels_for(
            notify_email=row["customer__notify_email"],
            notify_sms=row["customer__notify_sms"],
            notify_in_app=row["customer__notify_in_app"],
            email=contact.get("email", ""),
            phone=contact.get("phone", ""),
        ):
            new.append(
                Message(
                    customer_id=row["customer_id"],
                    contract_id=row["id"],
                    to_address=address,
                    channel=channel,
                    kind="renewal_reminder",
                    template_kind="renewal_reminder",
                    language=row["customer__language"],
                    dedupe_key=reminder_dedupe_key(
                        contract_id=row["id"],
                        term_end=row["end_date"],
                        offset=offset,
                        channel=channel,
                        customer_id=row["customer_id"],
                    ),
                    status="pending",
                    next_attempt_at=now,
                    term_end=row["end_date"],
                    offset_days=offset,
                    late=days_left < offset,
                    rendered=False,
                    context={"days_left": days_left},
                )
            )
    existing = set(
        Message.objects.filter(dedupe_key__in=[m.dedupe_key for m in new]).values_list(
            "dedupe_key", flat=True
        )
    )
    fresh = [m for m in new if m.dedupe_key not in existing]
    with transaction.atomic():
        Message.objects.bulk_create(fresh, ignore_conflicts=True)
        tasks = _tasks(as_of, due, customer_responded)
        kinds = _tasks_insert(tasks)
    summary.created += len(fresh)
    summary.late += sum(m.late for m in fresh)
    summary.skipped += len(new) - len(fresh)
    summary.tasks += len(kinds)
    summary.escalations += kinds.count(TaskKind.ESCALATION.value)


def _tasks(
    as_of: dt.date,
    due: list[tuple[dict[str, Any], int, int]],
    customer_responded: Callable[[list[int]], Iterable[int]],
) -> list[Task]:
    """A task for the account manager at each offset; an escalation to their team lead
    when the customer has not answered by ESCALATION_DAYS before the end."""
    texts = staff_task_texts()
    tasks = []
    escalate = []
    for row, offset, days_left in due:
        end = row["end_date"].isoformat()
        assignee = row["owner_id"] or row["customer__account_manager_id"]
        if assignee:
            title = staff_task_title(
                texts["task_title"], number=row["number"], date=end, days=days_left
            )
            key = f"renewal_reminder_task:{row['id']}:{end}:{offset}"
            tasks.append(_task(TaskKind.REMINDER, assignee, title, texts["task_details"], row, key))
        if days_left <= ESCALATION_DAYS and offset <= ESCALATION_DAYS:
            escalate.append(row)
    responded: Collection[int] = (
        set(customer_responded([row["id"] for row in escalate])) if escalate else set()
    )
    for row in escalate:
        lead = row["owner__team_lead_id"] or row["owner_id"]
        if row["id"] in responded or not lead:
            continue
        end = row["end_date"].isoformat()
        title = staff_task_title(
            texts["escalation_title"],
            customer=row["customer__name"],
            number=row["number"],
            date=end,
        )
        key = f"renewal_escalation:{row['id']}:{end}"
        tasks.append(_task(TaskKind.ESCALATION, lead, title, texts["escalation_details"], row, key))
    for task in tasks:
        task.due_date = as_of
    return tasks


def _task(kind: str, assignee: int, title: str, details: str, row: dict, key: str) -> Task:
    return Task(
        assignee_id=assignee,
        kind=kind,
        title=title,
        details=details,
        customer_id=row["customer_id"],
        contract_id=row["id"],
        dedupe_key=key,
    )


def _tasks_insert(tasks: list[Task]) -> list[str]:
    """Skip the keys that exist, insert the rest; returns the kinds inserted."""
    keys = [t.dedupe_key for t in tasks]
    existing = set(Task.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True))
    new = [t for t in tasks if t.dedupe_key not in existing]
    Task.objects.bulk_create(new, ignore_conflicts=True)
    return [t.kind for t in new]
