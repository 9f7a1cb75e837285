# Placeholder reserved for a change in progress; its owner fills in the operations.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("insights", "0003_import_jobs")]

    operations: list = []
