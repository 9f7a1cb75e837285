import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("renewdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Every installed app's tasks.py, and the lifecycle's end-of-term tasks (lifecycle/end_tasks.py).
app.autodiscover_tasks()
app.autodiscover_tasks(["lifecycle"], related_name="end_tasks")
# The lifecycle's reaction sweep (lifecycle/reaction_tasks.py).
app.autodiscover_tasks(["lifecycle"], related_name="reaction_tasks")
# The daily reminder sweep (lifecycle/reminder_sweep.py; task name kept from notifications).
app.autodiscover_tasks(["lifecycle"], related_name="reminder_sweep")
# The nightly tier recompute (lifecycle/tier_tasks.py; task name kept from customers).
app.autodiscover_tasks(["lifecycle"], related_name="tier_tasks")
# The daily retention purge (lifecycle/retention_purge.py, docs/compliance.md).
app.autodiscover_tasks(["lifecycle"], related_name="retention_purge")
# Payments: automatic charges of auto-renewals and refunds through the provider.
app.autodiscover_tasks(["payments"], related_name="auto_charge_tasks")
app.autodiscover_tasks(["payments"], related_name="refund_tasks")
