# Payment attempts, their timeline and the provider notification log (docs/payments.md).

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("billing", "0001_initial"),
        ("customers", "0004_search_trigram"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="PaymentAttempt",
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
                    "provider",
                    models.CharField(
                        choices=[
                            ("bank_transfer", "Bank transfer"),
                            ("card", "Card"),
                            ("wechat_pay", "WeChat Pay"),
                            ("alipay", "Alipay"),
                            ("cash", "Cash"),
                            ("other", "Other"),
                        ],
                        max_length=20,
                        verbose_name="provider",
                    ),
                ),
                (
                    "reference",
                    models.CharField(
                        editable=False, max_length=32, unique=True, verbose_name="reference"
                    ),
                ),
                (
                    "amount",
                    models.DecimalField(decimal_places=2, max_digits=14, verbose_name="amount"),
                ),
                ("currency", models.CharField(max_length=3, verbose_name="currency")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("created", "Starting"),
                            ("pending", "Waiting for payment"),
                            ("succeeded", "Paid"),
                            ("review", "Received, being checked"),
                            ("failed", "Failed"),
                            ("expired", "Expired"),
                            ("cancelled", "Cancelled"),
                        ],
                        default="created",
                        editable=False,
                        max_length=10,
                        verbose_name="status",
                    ),
                ),
                (
                    "off_session",
                    models.BooleanField(default=False, verbose_name="charged without the customer"),
                ),
                (
                    "provider_reference",
                    models.CharField(blank=True, max_length=255, verbose_name="provider's order"),
                ),
                ("qr_code", models.TextField(blank=True, verbose_name="QR code content")),
                (
                    "redirect_url",
                    models.URLField(blank=True, max_length=2000, verbose_name="provider page"),
                ),
                (
                    "expires_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="expires at"),
                ),
                (
                    "transaction_id",
                    models.CharField(
                        blank=True, max_length=100, verbose_name="provider transaction"
                    ),
                ),
                (
                    "mismatch_kind",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("", "None"),
                            ("under", "Under-payment"),
                            ("over", "Over-payment"),
                            ("currency", "Currency mismatch"),
                        ],
                        default="",
                        max_length=10,
                        verbose_name="mismatch",
                    ),
                ),
                (
                    "amount_received",
                    models.DecimalField(
                        blank=True,
                        decimal_places=2,
                        max_digits=14,
                        null=True,
                        verbose_name="amount received",
                    ),
                ),
                (
                    "currency_received",
                    models.CharField(blank=True, max_length=3, verbose_name="currency received"),
                ),
                ("detail", models.CharField(blank=True, max_length=300, verbose_name="detail")),
                (
                    "completed_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="completed at"),
                ),
                (
                    "queried_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="last query"),
                ),
                (
                    "customer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="payment_attempts",
                        to="customers.customer",
                        verbose_name="customer",
                    ),
                ),
                (
                    "invoice",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="payment_attempts",
                        to="billing.invoice",
                        verbose_name="invoice",
                    ),
                ),
                (
                    "payment",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="attempts",
                        to="billing.payment",
                        verbose_name="payment",
                    ),
                ),
                (
                    "started_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="started by",
                    ),
                ),
            ],
            options={
                "verbose_name": "payment attempt",
                "verbose_name_plural": "payment attempts",
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="AttemptEvent",
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
                    "attempt",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="events",
                        to="payments.paymentattempt",
                        verbose_name="payment attempt",
                    ),
                ),
            ],
            options={
                "verbose_name": "payment attempt event",
                "verbose_name_plural": "payment attempt events",
                "ordering": ["at", "id"],
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="ProviderNotification",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("provider", models.CharField(max_length=20, verbose_name="provider")),
                ("event_id", models.CharField(max_length=200, verbose_name="event id")),
                ("kind", models.CharField(max_length=10, verbose_name="kind")),
                (
                    "reference",
                    models.CharField(blank=True, max_length=100, verbose_name="reference"),
                ),
                ("outcome", models.CharField(blank=True, max_length=10, verbose_name="outcome")),
                (
                    "received_at",
                    models.DateTimeField(auto_now_add=True, verbose_name="received at"),
                ),
                (
                    "payload",
                    models.JSONField(blank=True, default=dict, verbose_name="verified payload"),
                ),
                ("result", models.CharField(blank=True, max_length=300, verbose_name="result")),
                (
                    "attempt",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="notifications",
                        to="payments.paymentattempt",
                        verbose_name="payment attempt",
                    ),
                ),
            ],
            options={
                "verbose_name": "provider notification",
                "verbose_name_plural": "provider notifications",
                "ordering": ["-received_at", "-id"],
            },
        ),
        migrations.AddIndex(
            model_name="paymentattempt",
            index=models.Index(
                condition=models.Q(("status__in", ["created", "pending"])),
                fields=["created_at"],
                name="attempt_open_created",
            ),
        ),
        migrations.AddIndex(
            model_name="paymentattempt",
            index=models.Index(
                condition=models.Q(("mismatch_kind", ""), _negated=True),
                fields=["created_at"],
                name="attempt_mismatch_created",
            ),
        ),
        migrations.AddIndex(
            model_name="paymentattempt",
            index=models.Index(
                fields=["invoice", "provider", "status"], name="attempt_invoice_open"
            ),
        ),
        migrations.AddConstraint(
            model_name="paymentattempt",
            constraint=models.CheckConstraint(
                condition=models.Q(("amount__gt", 0)), name="attempt_amount_gt_0"
            ),
        ),
        migrations.AddIndex(
            model_name="attemptevent",
            index=models.Index(
                condition=models.Q(("reacted_at__isnull", True)),
                fields=["id"],
                name="attemptevent_unreacted",
            ),
        ),
        migrations.AddIndex(
            model_name="attemptevent",
            index=models.Index(fields=["attempt", "at"], name="attempt_event_attempt_at"),
        ),
        migrations.AddConstraint(
            model_name="providernotification",
            constraint=models.UniqueConstraint(
                fields=("provider", "event_id"), name="provider_notification_once"
            ),
        ),
    ]
