"""ContractEvent derives from core.events.EventBase: the reaction columns and the partial
index on rows still waiting for their reactions. Rows written before this migration had
their reactions (signals) already: they are marked reacted so nothing runs twice."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("contracts", "0008_reminder_schedule")]

    operations = [
        migrations.AddField(
            model_name="contractevent",
            name="reacted_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="reactions run at"),
        ),
        migrations.AddField(
            model_name="contractevent",
            name="reaction_attempts",
            field=models.PositiveSmallIntegerField(default=0, verbose_name="reaction attempts"),
        ),
        migrations.AddField(
            model_name="contractevent",
            name="reaction_error",
            field=models.TextField(blank=True, verbose_name="last reaction error"),
        ),
        migrations.AddField(
            model_name="contractevent",
            name="reaction_retry_at",
            field=models.DateTimeField(
                blank=True, null=True, verbose_name="reactions retried after"
            ),
        ),
        migrations.RunSQL(
            "UPDATE contracts_contractevent SET reacted_at = at WHERE reacted_at IS NULL",
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.AddIndex(
            model_name="contractevent",
            index=models.Index(
                condition=models.Q(("reacted_at__isnull", True)),
                fields=["id"],
                name="contractevent_unreacted",
            ),
        ),
    ]
