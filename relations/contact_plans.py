"""The daily contact-plan sweep: complete the planned contacts an interaction has met, then
plan the next call, visit or review of every customer in care, ahead of time, with a task
for the account manager.

Set-based: customers are read in batches of ids; per batch a handful of queries (the
cadences, the last contact per kind, the last closed plan per kind, one INSERT of the new
planned contacts, one of their tasks). Idempotent: the planned contact is unique per
(customer, kind, due date) and open once per (customer, kind), the task per dedupe key;
both are inserted with ON CONFLICT DO NOTHING, so a sweep run twice, or two beats at
once, plan each contact once. The date is an argument: the sweep never reads the clock
for a business date (docs/testing.md).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Case, Exists, Max, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models import CharField as CharFieldType
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from contracts.models import Contract, ContractStatus
from core.models import Task, TaskKind
from customers.models import Customer
from insights.models import Interaction, InteractionKind

from .cadence_dates import contact_opens_on, next_contact_due
from .contact_states import planned_contacts_change_locked
from .models import ContactCadence, ContactKind, PlannedContact, PlannedContactStatus

# Which logged interaction counts as which planned contact.
SATISFIED_BY: dict[str, str] = {
    ContactKind.CALL: InteractionKind.CALL,
    ContactKind.VISIT: InteractionKind.VISIT,
    ContactKind.REVIEW: InteractionKind.MEETING,
}
# Contract statuses of a customer we look after: planning stops when the last term ended.
IN_CARE = (ContractStatus.ACTIVE, ContractStatus.SCHEDULED, ContractStatus.AWAITING_PAYMENT)
BATCH = 1000


def customers_in_care() -> Q:
    """Customers with a contract in force or about to be (for ``Customer`` querysets)."""
    return Q(Exists(Contract.objects.filter(customer=OuterRef("pk"), status__in=IN_CARE)))


def interaction_kind_of() -> Case:
    """The interaction kind that satisfies a planned contact's kind, as SQL."""
    return Case(
        *[When(kind=kind, then=Value(str(ik))) for kind, ik in SATISFIED_BY.items()],
        output_field=CharFieldType(),
    )


def matching_interaction() -> QuerySet[Interaction]:
    """For a planned contact (the outer row, annotated ``interaction_kind``): the first
    interaction of its kind on or after the day it counts from."""
    return Interaction.objects.filter(
        customer_id=OuterRef("customer_id"),
        kind=OuterRef("interaction_kind"),
        at__date__gte=OuterRef("opens_on"),
    ).order_by("at", "id")


@dataclass
class PlanSweepSummary:
    completed: int = 0  # planned contacts met by an interaction
    planned: int = 0  # new planned contacts
    tasks: int = 0  # tasks created for them


def contact_plan_sweep(*, as_of: dt.date, batch_size: int = BATCH) -> PlanSweepSummary:
    summary = PlanSweepSummary(completed=planned_contacts_reconcile(batch_size=batch_size))
    tier_cadences: dict[str, dict[str, ContactCadence]] = defaultdict(dict)
    for cadence in ContactCadence.objects.filter(customer__isnull=True, active=True):
        tier_cadences[cadence.tier][cadence.kind] = cadence
    has_overrides = ContactCadence.objects.filter(customer__isnull=False, active=True).exists()
    if not tier_cadences and not has_overrides:
        return summary
    customers = Customer.objects.filter(customers_in_care()).order_by("pk")
    last_pk = 0
    while True:
        batch: list[dict[str, Any]] = [
            dict(row)
            for row in customers.filter(pk__gt=last_pk).values(
                "pk",
                "name",
                "tier",
                "tier_override",
                "account_manager_id",
                "account_manager__language",
            )[:batch_size]
        ]
        if not batch:
            break
        last_pk = batch[-1]["pk"]
        planned, tasks = _plan_batch(batch, tier_cadences, as_of=as_of)
        summary.planned += planned
        summary.tasks += tasks
    return summary


def _effective_cadences(
    batch: list[dict[str, Any]], tier_cadences: dict[str, dict[str, ContactCadence]]
) -> dict[int, dict[str, ContactCadence]]:
    overrides: dict[int, dict[str, ContactCadence]] = defaultdict(dict)
    for cadence in ContactCadence.objects.filter(customer_id__in=[c["pk"] for c in batch]):
        assert cadence.customer_id is not None
        overrides[cadence.customer_id][cadence.kind] = cadence
    out = {}
    for c in batch:
        tier = c["tier_override"] or c["tier"]
        merged = {**tier_cadences.get(tier, {}), **overrides.get(c["pk"], {})}
        out[c["pk"]] = {kind: cad for kind, cad in merged.items() if cad.active}
    return out


def _plan_batch(
    batch: list[dict[str, Any]],
    tier_cadences: dict[str, dict[str, ContactCadence]],
    *,
    as_of: dt.date,
) -> tuple[int, int]:
    ids = [c["pk"] for c in batch]
    cadences = _effective_cadences(batch, tier_cadences)
    last_contact: dict[tuple[int, str], dt.date] = {}
    for row in (
        Interaction.objects.filter(customer_id__in=ids, kind__in=list(SATISFIED_BY.values()))
        .values("customer_id", "kind")
        .annotate(last=Max("at"))
    ):
        last_contact[(row["customer_id"], row["kind"])] = timezone.localdate(row["last"])
    last_planned: dict[tuple[int, str], dt.date] = {}
    open_kinds: set[tuple[int, str]] = set()
    for row in (
        PlannedContact.objects.filter(customer_id__in=ids)
        .values("customer_id", "kind", "status")
        .annotate(last=Max("due_date"))
    ):
        key = (row["customer_id"], row["kind"])
        if row["status"] == PlannedContactStatus.PLANNED:
            open_kinds.add(key)
        else:
            last_planned[key] = max(row["last"], last_planned.get(key, row["last"]))
    new_rows = []
    for customer_id, by_kind in cadences.items():
        for kind, cadence in by_kind.items():
            if (customer_id, kind) in open_kinds:
                continue
            due = next_contact_due(
                last_contact=last_contact.get((customer_id, SATISFIED_BY[kind])),
                last_planned=last_planned.get((customer_id, kind)),
                every=cadence.every,
                unit=cadence.unit,
                as_of=as_of,
            )
            opens_on = contact_opens_on(due, lead_days=cadence.lead_days)
            if opens_on > as_of:
                continue  # not yet: a later sweep plans it
            new_rows.append(
                PlannedContact(customer_id=customer_id, kind=kind, due_date=due, opens_on=opens_on)
            )
    with transaction.atomic():
        # ON CONFLICT DO NOTHING: another sweep may have planned the same contact.
        PlannedContact.objects.bulk_create(new_rows, ignore_conflicts=True)
        tasks = _tasks_for_open_plans(batch, cadences)
    return len(new_rows), tasks


def _task_key(planned: PlannedContact) -> str:
    return f"planned_contact:{planned.customer_id}:{planned.kind}:{planned.due_date:%Y-%m-%d}"


def _tasks_for_open_plans(
    batch: list[dict[str, Any]], cadences: dict[int, dict[str, ContactCadence]]
) -> int:
    """A task for each open planned contact of the batch that has none yet (also those a
    crash left without one), for the customer's account manager."""
    by_pk = {c["pk"]: c for c in batch}
    waiting = list(
        PlannedContact.objects.filter(
            customer_id__in=list(by_pk),
            status=PlannedContactStatus.PLANNED,
            task__isnull=True,
            customer__account_manager__isnull=False,
        )
    )
    if not waiting:
        return 0
    tasks = []
    for planned in waiting:
        customer = by_pk[planned.customer_id]
        cadence = cadences.get(planned.customer_id, {}).get(planned.kind)
        with translation.override(customer["account_manager__language"]):
            title = _("%(kind)s: %(customer)s") % {
                "kind": ContactKind(planned.kind).label,
                "customer": customer["name"],
            }
        tasks.append(
            Task(
                assignee_id=customer["account_manager_id"],
                kind=TaskKind.CONTACT,
                title=title[:300],
                due_date=planned.due_date,
                customer_id=planned.customer_id,
                dedupe_key=_task_key(planned),
                estimate_minutes=cadence.estimate_minutes if cadence else None,
            )
        )
    Task.objects.bulk_create(tasks, ignore_conflicts=True)
    task_ids = dict(
        Task.objects.filter(dedupe_key__in=[t.dedupe_key for t in tasks]).values_list(
            "dedupe_key", "pk"
        )
    )
    for planned in waiting:
        planned.task_id = task_ids.get(_task_key(planned))
    PlannedContact.objects.bulk_update(waiting, ["task"])
    return len(tasks)


def planned_contacts_reconcile(*, batch_size: int = BATCH) -> int:
    """Complete every open planned contact an interaction of its kind has met (logged on
    or after the day it counts from, from the customer page say), with its task."""
    matched = (
        PlannedContact.objects.filter(status=PlannedContactStatus.PLANNED)
        .annotate(interaction_kind=interaction_kind_of())
        .annotate(match_id=Subquery(matching_interaction().values("pk")[:1]))
        .filter(match_id__isnull=False)
        .order_by("pk")
    )
    done = 0
    last_pk = 0
    while True:
        pairs = list(matched.filter(pk__gt=last_pk).values_list("pk", "match_id")[:batch_size])
        if not pairs:
            return done
        last_pk = pairs[-1][0]
        match = dict(pairs)
        with transaction.atomic():
            # SKIP LOCKED: a row being logged by hand right now is left to that request.
            rows = list(
                PlannedContact.objects.select_for_update(skip_locked=True).filter(
                    pk__in=list(match), status=PlannedContactStatus.PLANNED
                )
            )
            now = timezone.now()
            planned_contacts_change_locked(
                rows,
                PlannedContactStatus.DONE,
                kind="met_by_interaction",
                updates={"done_at": now},
            )
            for row in rows:
                row.interaction_id = match[row.pk]
            PlannedContact.objects.bulk_update(rows, ["interaction"])
            Task.objects.filter(
                pk__in=[r.task_id for r in rows if r.task_id], done_at__isnull=True
            ).update(done_at=now)
        done += len(rows)
