# Refunds through the provider and saved payment methods (mandates) with their charges.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0001_initial"),
        ("contracts", "0010_consent_kind"),
        ("customers", "0004_search_trigram"),
        ("payments", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="PaymentMandate",
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
                    "reference",
                    models.CharField(max_length=32, unique=True, verbose_name="reference"),
                ),
                ("provider", models.CharField(max_length=20, verbose_name="provider")),
                (
                    "provider_data",
                    models.JSONField(blank=True, default=dict, verbose_name="provider data"),
                ),
                (
                    "display",
                    models.CharField(blank=True, max_length=100, verbose_name="payment method"),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Waiting for the provider"),
                            ("active", "Active"),
                            ("revoked", "Revoked"),
                            ("failed", "Not set up"),
                        ],
                        default="pending",
                        editable=False,
                        max_length=10,
                        verbose_name="status",
                    ),
                ),
                (
                    "activated_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="active since"),
                ),
                ("ended_at", models.DateTimeField(blank=True, null=True, verbose_name="ended at")),
                ("detail", models.CharField(blank=True, max_length=300, verbose_name="detail")),
                (
                    "consent",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="contracts.autorenewconsent",
                        verbose_name="consent given",
                    ),
                ),
                (
                    "contract",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="payment_mandates",
                        to="contracts.contract",
                        verbose_name="contract",
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="set up by",
                    ),
                ),
                (
                    "customer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="payment_mandates",
                        to="customers.customer",
                        verbose_name="customer",
                    ),
                ),
                (
                    "revoke_consent",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="contracts.autorenewconsent",
                        verbose_name="consent withdrawn",
                    ),
                ),
            ],
            options={
                "verbose_name": "saved payment method",
                "verbose_name_plural": "saved payment methods",
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="MandateCharge",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "claimed_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="claimed at"
                    ),
                ),
                (
                    "answer",
                    models.CharField(blank=True, max_length=20, verbose_name="provider's answer"),
                ),
                ("detail", models.CharField(blank=True, max_length=300, verbose_name="detail")),
                (
                    "fallback_at",
                    models.DateTimeField(
                        blank=True, null=True, verbose_name="handed to dunning at"
                    ),
                ),
                (
                    "attempt",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="mandate_charge",
                        to="payments.paymentattempt",
                        verbose_name="payment attempt",
                    ),
                ),
                (
                    "invoice",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="mandate_charge",
                        to="billing.invoice",
                        verbose_name="invoice",
                    ),
                ),
                (
                    "mandate",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="charges",
                        to="payments.paymentmandate",
                        verbose_name="saved payment method",
                    ),
                ),
            ],
            options={
                "verbose_name": "automatic charge",
                "verbose_name_plural": "automatic charges",
                "ordering": ["-claimed_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="ProviderRefund",
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
                    "reference",
                    models.CharField(max_length=64, unique=True, verbose_name="refund reference"),
                ),
                ("provider", models.CharField(max_length=20, verbose_name="provider")),
                (
                    "amount",
                    models.DecimalField(decimal_places=2, max_digits=14, verbose_name="amount"),
                ),
                (
                    "currency",
                    models.CharField(default="CNY", max_length=3, verbose_name="currency"),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Pending at the provider"),
                            ("succeeded", "Refunded"),
                            ("failed", "Failed"),
                        ],
                        default="pending",
                        editable=False,
                        max_length=10,
                        verbose_name="status",
                    ),
                ),
                (
                    "provider_refund_id",
                    models.CharField(blank=True, max_length=100, verbose_name="provider refund id"),
                ),
                (
                    "submitted_at",
                    models.DateTimeField(
                        blank=True, null=True, verbose_name="sent to the provider"
                    ),
                ),
                (
                    "submit_attempts",
                    models.PositiveSmallIntegerField(default=0, verbose_name="requests sent"),
                ),
                (
                    "last_error",
                    models.CharField(blank=True, max_length=300, verbose_name="last error"),
                ),
                (
                    "closed_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="closed at"),
                ),
                (
                    "credit_note",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="provider_refunds",
                        to="billing.creditnote",
                        verbose_name="credit note",
                    ),
                ),
                (
                    "payment",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="provider_refunds",
                        to="billing.payment",
                        verbose_name="original payment",
                    ),
                ),
                (
                    "refund_payment",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="provider_refund",
                        to="billing.payment",
                        verbose_name="refund recorded",
                    ),
                ),
                (
                    "requested_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="requested by",
                    ),
                ),
            ],
            options={
                "verbose_name": "provider refund",
                "verbose_name_plural": "provider refunds",
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.AddIndex(
            model_name="paymentmandate",
            index=models.Index(
                condition=models.Q(("status", "active")),
                fields=["customer", "activated_at"],
                name="mandate_active_customer",
            ),
        ),
        migrations.AddIndex(
            model_name="providerrefund",
            index=models.Index(
                condition=models.Q(("status", "pending")),
                fields=["created_at"],
                name="provider_refund_pending",
            ),
        ),
        migrations.AddConstraint(
            model_name="providerrefund",
            constraint=models.CheckConstraint(
                condition=models.Q(("amount__gt", 0)), name="provider_refund_amount_gt_0"
            ),
        ),
    ]
