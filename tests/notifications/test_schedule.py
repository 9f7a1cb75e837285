from __future__ import annotations

from django.core.management import call_command
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from notifications.schedule import BEAT_ENTRIES


def test_it_creates_every_beat_row_once(db):
    call_command("setup_periodic_tasks")
    call_command("setup_periodic_tasks")

    tasks = set(PeriodicTask.objects.values_list("task", flat=True))
    assert {
        "notifications.tasks.send_reminders_task",
        "notifications.tasks.deliver_outbox_task",
        "renewals.tasks.open_renewal_cases_task",
        "lifecycle.end_tasks.process_contract_ends_task",
        "customers.tasks.recompute_tiers_task",
    } <= tasks
    assert PeriodicTask.objects.filter(name__in=[e.name for e in BEAT_ENTRIES]).count() == len(
        BEAT_ENTRIES
    )
    minutely = PeriodicTask.objects.get(task="notifications.tasks.deliver_outbox_task")
    assert minutely.interval.every == 60


def test_it_never_overwrites_an_admins_timing(db):
    call_command("setup_periodic_tasks")
    sweep = PeriodicTask.objects.get(task="notifications.tasks.send_reminders_task")
    sweep.crontab = CrontabSchedule.objects.create(minute="15", hour="6")
    sweep.enabled = False
    sweep.save()

    call_command("setup_periodic_tasks")

    sweep.refresh_from_db()
    assert (sweep.crontab.hour, sweep.crontab.minute, sweep.enabled) == ("6", "15", False)


def test_it_says_which_rows_it_created_updated_or_kept(db):
    from io import StringIO

    call_command("setup_periodic_tasks")
    sweep = PeriodicTask.objects.get(task="notifications.tasks.send_reminders_task")
    PeriodicTask.objects.filter(pk=sweep.pk).update(task="notifications.tasks.old_name")
    out = StringIO()

    call_command("setup_periodic_tasks", stdout=out)

    lines = out.getvalue().splitlines()
    assert f"updated {sweep.name}" in lines
    assert sum(line.startswith("kept") for line in lines) == len(BEAT_ENTRIES) - 1
    assert not any(line.startswith("created") for line in lines)
