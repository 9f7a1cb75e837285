# Active contracts by (end date, number): the staff list's "ending within N days" in its
# default order. Built CONCURRENTLY (non-atomic migration).

from django.db import migrations, models

from core.migration_ops import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("contracts", "0006_search_trigram")]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="contract",
            index=models.Index(
                condition=models.Q(("status", "active")),
                fields=["end_date", "number"],
                name="contract_active_end_number",
            ),
        ),
    ]
