"""The relations app's Celery tasks (all on the ``sweeps`` queue): the daily contact-plan
sweep, the complaint escalation sweep and the due-campaign sweep. Loaded by Celery's
autodiscovery; nothing in the app imports this module."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from .campaigns import campaigns_send_due
from .complaint_escalations import complaints_escalate, escalation_tasks_close
from .contact_plans import contact_plan_sweep


@shared_task(name="relations.tasks.contact_plan_sweep_task", time_limit=3600, soft_time_limit=3500)
def contact_plan_sweep_task() -> dict:
    summary = contact_plan_sweep(as_of=timezone.localdate())
    return {"completed": summary.completed, "planned": summary.planned, "tasks": summary.tasks}


@shared_task(name="relations.tasks.complaint_escalation_task", time_limit=600, soft_time_limit=570)
def complaint_escalation_task() -> dict:
    now = timezone.now()
    return {
        "escalated": complaints_escalate(now=now),
        "closed": escalation_tasks_close(now=now),
    }


@shared_task(name="relations.tasks.campaigns_send_task", time_limit=3600, soft_time_limit=3500)
def campaigns_send_task() -> int:
    return campaigns_send_due(now=timezone.now())
