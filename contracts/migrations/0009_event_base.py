# Placeholder reserved for a change in progress; its owner fills in the operations.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("contracts", "0008_reminder_schedule")]

    operations: list = []
