# Campaigns (issue 16, point 4): campaigns, their recipients and events, the marketing
# opt-out ledger.

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0001_initial"),
        ("notifications", "0001_initial"),
        ("relations", "0003_service_levels"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Campaign",
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
                    "channel",
                    models.CharField(
                        choices=[("email", "E-mail"), ("sms", "SMS"), ("in_app", "Portal message")],
                        max_length=10,
                        verbose_name="channel",
                    ),
                ),
                (
                    "subject_zh_hans",
                    models.CharField(blank=True, max_length=200, verbose_name="subject (Chinese)"),
                ),
                (
                    "body_zh_hans",
                    models.TextField(max_length=4000, verbose_name="message (Chinese)"),
                ),
                (
                    "subject_en",
                    models.CharField(blank=True, max_length=200, verbose_name="subject (English)"),
                ),
                ("body_en", models.TextField(max_length=4000, verbose_name="message (English)")),
                (
                    "link_url",
                    models.CharField(
                        blank=True,
                        help_text=(
                            "A portal path such as /portal/ or an https:// address; empty for none."
                        ),
                        max_length=500,
                        verbose_name="link",
                    ),
                ),
                (
                    "renewal_window_days",
                    models.PositiveSmallIntegerField(
                        default=60,
                        validators=[
                            django.core.validators.MinValueValidator(1),
                            django.core.validators.MaxValueValidator(365),
                        ],
                        verbose_name="count renewals within (days)",
                    ),
                ),
                (
                    "scheduled_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="send at"),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("draft", "Draft"),
                            ("scheduled", "Scheduled"),
                            ("sending", "Sending"),
                            ("sent", "Sent"),
                            ("cancelled", "Cancelled"),
                        ],
                        default="draft",
                        editable=False,
                        max_length=10,
                        verbose_name="status",
                    ),
                ),
                (
                    "claimed_at",
                    models.DateTimeField(
                        blank=True, editable=False, null=True, verbose_name="claimed at"
                    ),
                ),
                (
                    "sent_at",
                    models.DateTimeField(
                        blank=True, editable=False, null=True, verbose_name="sent at"
                    ),
                ),
                (
                    "owner",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="campaigns",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="owner",
                    ),
                ),
                (
                    "segment",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="campaigns",
                        to="relations.segment",
                        verbose_name="segment",
                    ),
                ),
            ],
            options={
                "verbose_name": "campaign",
                "verbose_name_plural": "campaigns",
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="CampaignEvent",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="at")),
                ("kind", models.CharField(max_length=50, verbose_name="kind")),
                ("from_status", models.CharField(blank=True, max_length=20, verbose_name="from")),
                ("to_status", models.CharField(blank=True, max_length=20, verbose_name="to")),
                ("payload", models.JSONField(blank=True, default=dict, verbose_name="details")),
                (
                    "reacted_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="reactions run at"),
                ),
                (
                    "reaction_attempts",
                    models.PositiveSmallIntegerField(default=0, verbose_name="reaction attempts"),
                ),
                (
                    "reaction_error",
                    models.TextField(blank=True, verbose_name="last reaction error"),
                ),
                (
                    "reaction_retry_at",
                    models.DateTimeField(
                        blank=True, null=True, verbose_name="reactions retried after"
                    ),
                ),
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
                    "campaign",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="events",
                        to="relations.campaign",
                        verbose_name="campaign",
                    ),
                ),
            ],
            options={
                "verbose_name": "campaign event",
                "verbose_name_plural": "campaign events",
                "ordering": ["at", "id"],
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="CampaignRecipient",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "outcome",
                    models.CharField(
                        choices=[
                            ("queued", "Queued in the outbox"),
                            ("opted_out", "Skipped: opted out of marketing"),
                            ("channel_off", "Skipped: channel switched off"),
                            ("no_address", "Skipped: no address for the channel"),
                        ],
                        max_length=12,
                        verbose_name="outcome",
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="created at"
                    ),
                ),
                (
                    "clicked_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="clicked at"),
                ),
                (
                    "campaign",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="recipients",
                        to="relations.campaign",
                        verbose_name="campaign",
                    ),
                ),
                (
                    "customer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="campaign_receipts",
                        to="customers.customer",
                        verbose_name="customer",
                    ),
                ),
                (
                    "message",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="campaign_recipient",
                        to="notifications.message",
                        verbose_name="message",
                    ),
                ),
            ],
            options={
                "verbose_name": "campaign recipient",
                "verbose_name_plural": "campaign recipients",
                "ordering": ["campaign", "id"],
            },
        ),
        migrations.CreateModel(
            name="MarketingChoice",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("opted_out", models.BooleanField(verbose_name="opted out of marketing")),
                (
                    "source",
                    models.CharField(
                        choices=[
                            ("portal", "Portal preferences"),
                            ("email_link", "Unsubscribe link in an e-mail"),
                            ("staff", "Staff on behalf of the customer"),
                        ],
                        max_length=12,
                        verbose_name="source",
                    ),
                ),
                ("at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="at")),
                (
                    "ip",
                    models.GenericIPAddressField(blank=True, null=True, verbose_name="IP address"),
                ),
                (
                    "user_agent",
                    models.CharField(blank=True, max_length=300, verbose_name="user agent"),
                ),
                (
                    "actor",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="by",
                    ),
                ),
                (
                    "customer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="marketing_choices",
                        to="customers.customer",
                        verbose_name="customer",
                    ),
                ),
            ],
            options={
                "verbose_name": "marketing choice",
                "verbose_name_plural": "marketing choices",
                "ordering": ["customer", "-at", "-id"],
            },
        ),
        migrations.AddIndex(
            model_name="campaign",
            index=models.Index(
                condition=models.Q(("status__in", ["scheduled", "sending"])),
                fields=["scheduled_at"],
                name="campaign_due",
            ),
        ),
        migrations.AddIndex(
            model_name="campaignevent",
            index=models.Index(
                condition=models.Q(("reacted_at__isnull", True)),
                fields=["id"],
                name="campaignevent_unreacted",
            ),
        ),
        migrations.AddConstraint(
            model_name="campaignrecipient",
            constraint=models.UniqueConstraint(
                fields=("campaign", "customer"), name="campaign_recipient_once"
            ),
        ),
        migrations.AddIndex(
            model_name="marketingchoice",
            index=models.Index(fields=["customer", "-at", "-id"], name="marketing_choice_latest"),
        ),
    ]
