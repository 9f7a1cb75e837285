"""The beat schedule as data: created once, then owned by the admin.

``periodic_tasks_setup`` creates missing rows with the default timing and, for rows that
exist, only updates the task path; it never deletes rows or changes an admin's timing,
enabled flag or arguments.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask


@dataclass(frozen=True)
class BeatEntry:
    name: str
    task: str
    crontab: dict | None = None  # minute, hour
    every_seconds: int | None = None


BEAT_ENTRIES = [
    BeatEntry(
        "renewdesk: reminder sweep (daily)",
        "notifications.tasks.send_reminders_task",
        crontab={"minute": "0", "hour": "8"},
    ),
    BeatEntry(
        "renewdesk: reminder schedule repair (nightly, before the sweep)",
        "notifications.tasks.reminder_schedule_repair_task",
        crontab={"minute": "30", "hour": "7"},
    ),
    BeatEntry(
        "renewdesk: outbox delivery (every minute)",
        "notifications.tasks.deliver_outbox_task",
        every_seconds=60,
    ),
    BeatEntry(
        "renewdesk: SMS delivery receipts (every 10 minutes)",
        "notifications.tasks.poll_sms_receipts_task",
        every_seconds=600,
    ),
    BeatEntry(
        "renewdesk: open renewal cases (daily)",
        "renewals.tasks.open_renewal_cases_task",
        crontab={"minute": "30", "hour": "1"},
    ),
    BeatEntry(
        "renewdesk: contract end processing (daily)",
        "lifecycle.end_tasks.process_contract_ends_task",
        crontab={"minute": "5", "hour": "0"},
    ),
    BeatEntry(
        "renewdesk: tier recompute (nightly)",
        "customers.tasks.recompute_tiers_task",
        crontab={"minute": "0", "hour": "2"},
    ),
    BeatEntry(
        "renewdesk: care messages (daily)",
        "notifications.tasks.send_care_messages_task",
        crontab={"minute": "0", "hour": "9"},
    ),
    BeatEntry(
        "renewdesk: webhook deliveries (every minute)",
        "api.tasks.deliver_webhooks_task",
        every_seconds=60,
    ),
    BeatEntry(
        "renewdesk: reactions to events (every minute)",
        "lifecycle.reaction_tasks.react_to_events_task",
        every_seconds=60,
    ),
    BeatEntry(
        "renewdesk: dunning reminders for overdue invoices (daily)",
        "billing.tasks.send_dunning_reminders_task",
        crontab={"minute": "30", "hour": "8"},
    ),
    BeatEntry(
        "renewdesk: renewal propensity train and score (nightly)",
        "insights.tasks.propensity_nightly",
        crontab={"minute": "30", "hour": "3"},
    ),
    BeatEntry(
        "renewdesk: dashboard figures for the whole book (every 4 minutes)",
        "insights.tasks.dashboard_warm_task",
        every_seconds=240,
    ),
    BeatEntry(
        "renewdesk: automatic payment of auto-renewed invoices (daily)",
        "payments.auto_charge_tasks.auto_charge_renewals_task",
        crontab={"minute": "30", "hour": "0"},
    ),
    BeatEntry(
        "renewdesk: refunds through the payment providers (every 10 minutes)",
        "payments.refund_tasks.refunds_sweep_task",
        every_seconds=600,
    ),
    BeatEntry(
        "renewdesk: payment attempts no notification closed: ask the provider (every 5 minutes)",
        "payments.tasks.attempts_sweep_task",
        every_seconds=300,
    ),
    BeatEntry(
        "renewdesk: loyalty points expiry (daily)",
        "loyalty.tasks.points_expiry_task",
        crontab={"minute": "15", "hour": "3"},
    ),
    BeatEntry(
        "renewdesk: loyalty tenure points on contract anniversaries (daily)",
        "loyalty.tasks.tenure_points_task",
        crontab={"minute": "45", "hour": "3"},
    ),
    BeatEntry(
        "renewdesk: NPS surveys (daily)",
        "insights.tasks.nps_sweep_task",
        crontab={"minute": "0", "hour": "10"},
    ),
    BeatEntry(
        "renewdesk: contact plans (daily)",
        "relations.tasks.contact_plan_sweep_task",
        crontab={"minute": "0", "hour": "6"},
    ),
    BeatEntry(
        "renewdesk: overdue complaint escalation (every 10 minutes)",
        "relations.tasks.complaint_escalation_task",
        every_seconds=600,
    ),
    BeatEntry(
        "renewdesk: campaigns due (every 5 minutes)",
        "relations.tasks.campaigns_send_task",
        every_seconds=300,
    ),
    BeatEntry(
        "renewdesk: retention purge of consent records and delivery logs (daily)",
        "lifecycle.retention_purge.retention_purge_task",
        crontab={"minute": "45", "hour": "4"},
    ),
]


def _schedule_kwargs(entry: BeatEntry) -> dict:
    if entry.every_seconds:
        interval, _ = IntervalSchedule.objects.get_or_create(
            every=entry.every_seconds, period=IntervalSchedule.SECONDS
        )
        return {"interval": interval}
    times = entry.crontab
    assert times is not None  # every entry has every_seconds or a crontab
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute=times["minute"],
        hour=times["hour"],
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone=settings.TIME_ZONE,
    )
    return {"crontab": crontab}


@transaction.atomic
def periodic_tasks_setup() -> list[tuple[str, str]]:
    """(name, what was done) per beat entry: "created", "updated" (its task path was out of
    date) or "kept" (nothing written)."""
    out = []
    for entry in BEAT_ENTRIES:
        task = PeriodicTask.objects.select_for_update().filter(name=entry.name).first()
        if task is None:
            PeriodicTask.objects.create(name=entry.name, task=entry.task, **_schedule_kwargs(entry))
            out.append((entry.name, "created"))
            continue
        if task.task != entry.task:
            task.task = entry.task
            task.save(update_fields=["task"])
            out.append((entry.name, "updated"))
            continue
        out.append((entry.name, "kept"))
    return out
