"""RequestEvent derives from core.events.EventBase: the reaction columns and the partial
index on rows still waiting for their reactions. Existing rows are marked reacted."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("retention", "0002_alter_offergrant_kind_alter_retentionoffer_kind")]

    operations = [
        migrations.AddField(
            model_name="requestevent",
            name="reacted_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="reactions run at"),
        ),
        migrations.AddField(
            model_name="requestevent",
            name="reaction_attempts",
            field=models.PositiveSmallIntegerField(default=0, verbose_name="reaction attempts"),
        ),
        migrations.AddField(
            model_name="requestevent",
            name="reaction_error",
            field=models.TextField(blank=True, verbose_name="last reaction error"),
        ),
        migrations.AddField(
            model_name="requestevent",
            name="reaction_retry_at",
            field=models.DateTimeField(
                blank=True, null=True, verbose_name="reactions retried after"
            ),
        ),
        migrations.AlterField(
            model_name="requestevent",
            name="kind",
            field=models.CharField(max_length=50, verbose_name="kind"),
        ),
        migrations.RunSQL(
            "UPDATE retention_requestevent SET reacted_at = at WHERE reacted_at IS NULL",
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.AddIndex(
            model_name="requestevent",
            index=models.Index(
                condition=models.Q(("reacted_at__isnull", True)),
                fields=["id"],
                name="requestevent_unreacted",
            ),
        ),
    ]
