"""The webhook catch-up goes: webhooks are reactions to committed events, claimed once
with the event row itself (lifecycle.reactions). Its marker table and its beat row go
with it (the reaction sweep has its own beat entry, notifications/schedule.py)."""

from django.db import migrations


def catch_up_beat_delete(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(task="api.tasks.catch_up_webhooks_task").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0002_webhook_emission"),
        ("django_celery_beat", "0001_initial"),
    ]

    operations = [
        migrations.DeleteModel(name="WebhookEmission"),
        migrations.RunPython(catch_up_beat_delete, migrations.RunPython.noop),
    ]
