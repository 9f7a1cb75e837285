# An import job's status history on the common event base (issue #17).
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0004_feedback_moved"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ImportJobEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='at')),
                ('kind', models.CharField(max_length=50, verbose_name='kind')),
                ('from_status', models.CharField(blank=True, max_length=20, verbose_name='from')),
                ('to_status', models.CharField(blank=True, max_length=20, verbose_name='to')),
                ('payload', models.JSONField(blank=True, default=dict, verbose_name='details')),
                ('reacted_at', models.DateTimeField(blank=True, null=True, verbose_name='reactions run at')),
                ('reaction_attempts', models.PositiveSmallIntegerField(default=0, verbose_name='reaction attempts')),
                ('reaction_error', models.TextField(blank=True, verbose_name='last reaction error')),
                ('reaction_retry_at', models.DateTimeField(blank=True, null=True, verbose_name='reactions retried after')),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='actor')),
                ('job', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='events', to='insights.importjob', verbose_name='import')),
            ],
            options={
                'verbose_name': 'import event',
                'verbose_name_plural': 'import events',
                'ordering': ['at', 'id'],
                'abstract': False,
                'indexes': [models.Index(condition=models.Q(('reacted_at__isnull', True)), fields=['id'], name='importjobevent_unreacted')],
            },
        ),
    ]
