# Placeholder reserved for a change in progress; its owner fills in the operations.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("retention", "0002_alter_offergrant_kind_alter_retentionoffer_kind")]

    operations: list = []
