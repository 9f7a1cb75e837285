"""Feedback, its replies and its status history move from portal to insights (a domain
model), keeping their rows: the models are created here in the migration state only, over
the existing tables, which are then renamed (portal_feedback → insights_feedback, ...).
portal 0002 removes them from portal's state. FeedbackEvent derives from EventBase: it
gains kind and payload and the reaction columns; existing rows are marked reacted."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

FEEDBACK_STATE = [
    migrations.CreateModel(
        name="Feedback",
        fields=[
            (
                "id",
                models.BigAutoField(
                    auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                ),
            ),
            ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
            ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
            (
                "channel",
                models.CharField(
                    choices=[("portal", "Portal"), ("staff", "Recorded by staff")],
                    default="portal",
                    max_length=20,
                    verbose_name="channel",
                ),
            ),
            (
                "category",
                models.CharField(
                    choices=[
                        ("question", "Question"),
                        ("complaint", "Complaint"),
                        ("billing", "Billing or payment"),
                        ("service", "Service problem"),
                        ("suggestion", "Suggestion"),
                        ("other", "Other"),
                    ],
                    max_length=20,
                    verbose_name="category",
                ),
            ),
            (
                "severity",
                models.CharField(
                    choices=[
                        ("low", "Low"),
                        ("normal", "Normal"),
                        ("high", "High"),
                        ("critical", "Critical: service unusable"),
                    ],
                    default="normal",
                    max_length=20,
                    verbose_name="severity",
                ),
            ),
            ("subject", models.CharField(max_length=200, verbose_name="subject")),
            ("body", models.TextField(verbose_name="description")),
            (
                "status",
                models.CharField(
                    choices=[
                        ("open", "Open"),
                        ("in_progress", "In progress"),
                        ("resolved", "Resolved"),
                        ("closed", "Closed"),
                    ],
                    default="open",
                    editable=False,
                    max_length=20,
                    verbose_name="status",
                ),
            ),
            ("sla_due_at", models.DateTimeField(editable=False, verbose_name="answer due by")),
            (
                "first_response_at",
                models.DateTimeField(
                    blank=True, editable=False, null=True, verbose_name="first answered at"
                ),
            ),
            (
                "resolved_at",
                models.DateTimeField(
                    blank=True, editable=False, null=True, verbose_name="resolved at"
                ),
            ),
            (
                "closed_at",
                models.DateTimeField(
                    blank=True, editable=False, null=True, verbose_name="closed at"
                ),
            ),
            (
                "contract",
                models.ForeignKey(
                    blank=True,
                    null=True,
                    on_delete=django.db.models.deletion.PROTECT,
                    related_name="feedback",
                    to="contracts.contract",
                    verbose_name="contract",
                ),
            ),
            (
                "customer",
                models.ForeignKey(
                    on_delete=django.db.models.deletion.PROTECT,
                    related_name="feedback",
                    to="customers.customer",
                    verbose_name="customer",
                ),
            ),
            (
                "submitted_by",
                models.ForeignKey(
                    blank=True,
                    null=True,
                    on_delete=django.db.models.deletion.SET_NULL,
                    related_name="+",
                    to=settings.AUTH_USER_MODEL,
                    verbose_name="submitted by",
                ),
            ),
        ],
        options={
            "verbose_name": "feedback",
            "verbose_name_plural": "feedback and complaints",
            "ordering": ["-created_at", "-id"],
            "db_table": "portal_feedback",
            "indexes": [
                models.Index(fields=["status", "sla_due_at"], name="feedback_status_due"),
                models.Index(fields=["customer", "created_at"], name="feedback_customer_created"),
            ],
        },
    ),
    migrations.CreateModel(
        name="FeedbackEvent",
        fields=[
            (
                "id",
                models.BigAutoField(
                    auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                ),
            ),
            ("at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="at")),
            ("from_status", models.CharField(blank=True, max_length=20, verbose_name="from")),
            ("to_status", models.CharField(max_length=20, verbose_name="to")),
            ("note", models.CharField(blank=True, max_length=300, verbose_name="note")),
            (
                "actor",
                models.ForeignKey(
                    blank=True,
                    null=True,
                    on_delete=django.db.models.deletion.SET_NULL,
                    related_name="+",
                    to=settings.AUTH_USER_MODEL,
                    verbose_name="actor",
                ),
            ),
            (
                "feedback",
                models.ForeignKey(
                    on_delete=django.db.models.deletion.CASCADE,
                    related_name="events",
                    to="insights.feedback",
                    verbose_name="feedback",
                ),
            ),
        ],
        options={
            "verbose_name": "feedback event",
            "verbose_name_plural": "feedback events",
            "ordering": ["at", "id"],
            "db_table": "portal_feedbackevent",
        },
    ),
    migrations.CreateModel(
        name="FeedbackReply",
        fields=[
            (
                "id",
                models.BigAutoField(
                    auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                ),
            ),
            ("from_staff", models.BooleanField(default=False, verbose_name="from our team")),
            ("body", models.TextField(verbose_name="reply")),
            (
                "created_at",
                models.DateTimeField(default=django.utils.timezone.now, verbose_name="at"),
            ),
            (
                "author",
                models.ForeignKey(
                    blank=True,
                    null=True,
                    on_delete=django.db.models.deletion.SET_NULL,
                    related_name="+",
                    to=settings.AUTH_USER_MODEL,
                    verbose_name="author",
                ),
            ),
            (
                "feedback",
                models.ForeignKey(
                    on_delete=django.db.models.deletion.CASCADE,
                    related_name="replies",
                    to="insights.feedback",
                    verbose_name="feedback",
                ),
            ),
        ],
        options={
            "verbose_name": "reply",
            "verbose_name_plural": "replies",
            "ordering": ["created_at", "id"],
            "db_table": "portal_feedbackreply",
        },
    ),
    migrations.AlterField(
        model_name="feedbackassignment",
        name="feedback",
        field=models.OneToOneField(
            on_delete=django.db.models.deletion.CASCADE,
            related_name="assignment",
            to="insights.feedback",
            verbose_name="feedback",
        ),
    ),
]


def content_types_move(apps, schema_editor):
    """Keep the staff's permissions on feedback: its content types change app."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in ("feedback", "feedbackreply", "feedbackevent"):
        if not ContentType.objects.filter(app_label="insights", model=model).exists():
            ContentType.objects.filter(app_label="portal", model=model).update(app_label="insights")


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0003_import_jobs"),
        ("portal", "0001_initial"),
        ("contracts", "0002_initial"),
        ("customers", "0002_tier_settings"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The tables exist (portal 0001): only the state learns the models.
        migrations.SeparateDatabaseAndState(state_operations=FEEDBACK_STATE),
        migrations.RunPython(content_types_move, migrations.RunPython.noop),
        migrations.AlterModelTable(name="feedback", table=None),
        migrations.AlterModelTable(name="feedbackevent", table=None),
        migrations.AlterModelTable(name="feedbackreply", table=None),
        # FeedbackEvent derives from EventBase.
        migrations.AddField(
            model_name="feedbackevent",
            name="kind",
            field=models.CharField(default="status_changed", max_length=50, verbose_name="kind"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="feedbackevent",
            name="payload",
            field=models.JSONField(blank=True, default=dict, verbose_name="details"),
        ),
        migrations.AlterField(
            model_name="feedbackevent",
            name="to_status",
            field=models.CharField(blank=True, max_length=20, verbose_name="to"),
        ),
        migrations.AddField(
            model_name="feedbackevent",
            name="reacted_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="reactions run at"),
        ),
        migrations.AddField(
            model_name="feedbackevent",
            name="reaction_attempts",
            field=models.PositiveSmallIntegerField(default=0, verbose_name="reaction attempts"),
        ),
        migrations.AddField(
            model_name="feedbackevent",
            name="reaction_error",
            field=models.TextField(blank=True, verbose_name="last reaction error"),
        ),
        migrations.AddField(
            model_name="feedbackevent",
            name="reaction_retry_at",
            field=models.DateTimeField(
                blank=True, null=True, verbose_name="reactions retried after"
            ),
        ),
        migrations.RunSQL(
            "UPDATE insights_feedbackevent SET reacted_at = at WHERE reacted_at IS NULL",
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.AddIndex(
            model_name="feedbackevent",
            index=models.Index(
                condition=models.Q(("reacted_at__isnull", True)),
                fields=["id"],
                name="feedbackevent_unreacted",
            ),
        ),
    ]
