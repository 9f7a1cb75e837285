# Saved customer segments (relations/segment_models.py).
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import relations.segment_criteria


class Migration(migrations.Migration):
    dependencies = [
        ("relations", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Segment",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
                ("name", models.CharField(max_length=120, verbose_name="name")),
                (
                    "shared",
                    models.BooleanField(default=False, verbose_name="shared with colleagues"),
                ),
                (
                    "criteria",
                    models.JSONField(
                        default=dict,
                        validators=[relations.segment_criteria.validate_criteria],
                        verbose_name="criteria",
                    ),
                ),
                (
                    "owner",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="segments",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="owner",
                    ),
                ),
            ],
            options={
                "verbose_name": "segment",
                "verbose_name_plural": "segments",
                "ordering": ["name", "id"],
                "constraints": [
                    models.UniqueConstraint(fields=("owner", "name"), name="segment_name_per_owner")
                ],
            },
        ),
    ]
