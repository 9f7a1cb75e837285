# Placeholder reserved for a change in progress; its owner fills in the operations.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("notifications", "0004_lazy_render")]

    operations: list = []
