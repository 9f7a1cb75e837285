"""Invoices, payments, credit notes and webhook deliveries.

Nothing here is ever hard-deleted: every row carries money.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel


class InvoiceKind(models.TextChoices):
    TERM = "term", _("Term fee")
    INSTALLMENT = "installment", _("Installment")
    FEE = "fee", _("Fee")
    OTHER = "other", _("Other")


class InvoiceStatus(models.TextChoices):
    OPEN = "open", _("Open")  # issued, balance not yet settled (partial payments keep it open)
    PAID = "paid", _("Paid")  # balance settled by payments and credit notes
    VOID = "void", _("Void")  # cancelled before anything was paid


class Invoice(TimeStampedModel):
    number = models.CharField(_("number"), max_length=32, unique=True, editable=False)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="invoices",
    )
    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("contract"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invoices",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=InvoiceKind.choices)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=InvoiceStatus.choices,
        default=InvoiceStatus.OPEN,
        editable=False,
    )
    description = models.CharField(_("description"), max_length=300, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    amount_paid = models.DecimalField(
        _("paid"), max_digits=14, decimal_places=2, default=Decimal("0"), editable=False
    )
    amount_credited = models.DecimalField(
        _("credited"), max_digits=14, decimal_places=2, default=Decimal("0"), editable=False
    )
    installment_no = models.PositiveSmallIntegerField(_("installment"), default=1)
    installment_count = models.PositiveSmallIntegerField(_("of installments"), default=1)
    issue_date = models.DateField(_("issue date"))
    due_date = models.DateField(_("due date"))
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True, editable=False)
    # Dunning: how many overdue reminders went out, and when the last one did.
    dunning_level = models.PositiveSmallIntegerField(_("dunning level"), default=0)
    last_dunning_on = models.DateField(_("last dunning reminder"), null=True, blank=True)
    document = models.ForeignKey(
        "core.Document",
        verbose_name=_("PDF"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issue_date", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="invoice_amount_gte_0"),
            models.UniqueConstraint(
                fields=["contract", "kind", "installment_no"],
                condition=models.Q(kind__in=["term", "installment"]) & ~models.Q(status="void"),
                name="one_term_invoice_per_installment",
            ),
        ]
        indexes = [
            # The dunning sweep: open invoices by due date.
            models.Index(
                fields=["due_date"], name="invoice_open_due", condition=models.Q(status="open")
            ),
            models.Index(fields=["customer", "issue_date"], name="invoice_customer_issued"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def balance(self) -> Decimal:
        return self.amount - self.amount_paid - self.amount_credited

    @property
    def is_first(self) -> bool:
        return self.installment_no == 1


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), on_delete=models.CASCADE, related_name="lines"
    )
    description = models.CharField(_("description"), max_length=300)
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=2)
    unit_price = models.DecimalField(_("unit price"), max_digits=14, decimal_places=2)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.description


class PaymentMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    CARD = "card", _("Card")
    WECHAT_PAY = "wechat_pay", _("WeChat Pay")
    ALIPAY = "alipay", _("Alipay")
    CASH = "cash", _("Cash")
    OTHER = "other", _("Other")


class PaymentKind(models.TextChoices):
    PAYMENT = "payment", _("Payment received")
    REFUND = "refund", _("Refund paid out")


class PaymentSource(models.TextChoices):
    STAFF = "staff", _("Recorded by staff")
    WEBHOOK = "webhook", _("Payment provider")
    IMPORT = "import", _("Import")


class Payment(TimeStampedModel):
    """Money in (a payment) or out (a refund). ``applied_amount`` is what settled the
    invoice; anything above it is an over-payment kept as the customer's credit."""

    number = models.CharField(_("receipt number"), max_length=32, unique=True, editable=False)
    kind = models.CharField(
        _("kind"), max_length=10, choices=PaymentKind.choices, default=PaymentKind.PAYMENT
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="payments",
    )
    invoice = models.ForeignKey(
        Invoice,
        verbose_name=_("invoice"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
    )
    credit_note = models.ForeignKey(
        "CreditNote",
        verbose_name=_("credit note"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="refunds",
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    applied_amount = models.DecimalField(
        _("applied to the invoice"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    method = models.CharField(_("method"), max_length=20, choices=PaymentMethod.choices)
    reference = models.CharField(_("reference"), max_length=100)
    received_at = models.DateTimeField(_("received at"))
    source = models.CharField(
        _("source"), max_length=10, choices=PaymentSource.choices, default=PaymentSource.STAFF
    )
    provider_event_id = models.CharField(_("provider event"), max_length=100, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    receipt = models.ForeignKey(
        "core.Document",
        verbose_name=_("receipt PDF"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_gt_0"),
            # A bank reference (or provider transaction id) is recorded once per method:
            # two clerks typing the same transfer, or a provider retrying, make one payment.
            models.UniqueConstraint(
                fields=["kind", "method", "reference"], name="payment_reference_unique_per_method"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def unapplied_amount(self) -> Decimal:
        return self.amount - self.applied_amount


class CreditNote(TimeStampedModel):
    number = models.CharField(_("number"), max_length=32, unique=True, editable=False)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="credit_notes",
    )
    invoice = models.ForeignKey(
        Invoice,
        verbose_name=_("invoice"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="credit_notes",
    )
    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("contract"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="credit_notes",
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    # Part of the amount that reduced the invoice's open balance; the rest is owed back.
    applied_amount = models.DecimalField(
        _("applied to the invoice"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    reason = models.CharField(_("reason"), max_length=300)
    issue_date = models.DateField(_("issue date"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("credit note")
        verbose_name_plural = _("credit notes")
        ordering = ["-issue_date", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="credit_amount_gt_0"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def refund_due(self) -> Decimal:
        refunded = sum((p.amount for p in self.refunds.all()), Decimal("0"))
        return self.amount - self.applied_amount - refunded


class WebhookEvent(models.Model):
    """Every payment-provider delivery we accepted, keyed by the provider's event id.

    The unique event id is what makes the webhook replay-safe: a second delivery of the
    same event fails to insert and is answered "duplicate" without touching money.
    """

    event_id = models.CharField(_("event id"), max_length=100, unique=True)
    event_type = models.CharField(_("type"), max_length=60)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    payload = models.JSONField(_("payload"), default=dict)
    result = models.CharField(_("result"), max_length=300, blank=True)
    payment = models.ForeignKey(
        Payment,
        verbose_name=_("payment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return self.event_id
