from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.stored_texts import document_title_display


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class User(AbstractUser):
    """Staff (account managers, team leads, admins) and portal customers alike.

    Staff users have ``is_staff``; portal users are linked to a customer through
    ``customers.PortalAccount`` and never have ``is_staff``.
    """

    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans"
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    team_lead = models.ForeignKey(
        "self",
        verbose_name=_("team lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="team_members",
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        permissions = [
            ("view_all_books", _("Can see every account manager's customers (team lead)")),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_team_lead(self) -> bool:
        return self.is_superuser or self.has_perm("core.view_all_books")


class Sequence(models.Model):
    """A named counter for readable numbers (contract HT-2026-000123, invoices...).

    Incremented under a row lock so two concurrent callers never get the same value.
    """

    name = models.CharField(max_length=50, unique=True)
    last_value = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("number sequence")
        verbose_name_plural = _("number sequences")

    def __str__(self) -> str:
        return f"{self.name}={self.last_value}"


class TaskKind(models.TextChoices):
    FOLLOW_UP = "follow_up", _("Follow-up")
    REMINDER = "reminder", _("Renewal reminder")
    ESCALATION = "escalation", _("Escalation")
    CANCELLATION = "cancellation", _("Cancellation request")
    FEEDBACK = "feedback", _("Feedback")
    RENEWAL = "renewal", _("Renewal")
    CONTACT = "contact", _("Planned contact")  # relations: a call, visit or review due
    OTHER = "other", _("Other")


class Task(TimeStampedModel):
    """A to-do for a staff member. Created by services (reminders, follow-ups, SLAs).

    ``dedupe_key`` makes creation idempotent: a sweep that runs twice creates one task.
    """

    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.PROTECT,
        related_name="tasks",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=TaskKind.choices)
    title = models.CharField(_("title"), max_length=300)
    details = models.TextField(_("details"), blank=True)
    due_date = models.DateField(_("due date"))
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="tasks",
    )
    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("contract"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="tasks",
    )
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Team work (relations): how long the work should take, and what came of it (written
    # when the task is completed).
    estimate_minutes = models.PositiveIntegerField(_("estimate (minutes)"), null=True, blank=True)
    # db_default: the set-based sweeps insert tasks with their own INSERT ... SELECT.
    outcome = models.TextField(_("outcome"), blank=True, db_default="")

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["due_date", "id"]
        indexes = [
            models.Index(
                fields=["assignee", "due_date"],
                name="task_open_by_assignee",
                condition=models.Q(done_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return self.title


class DocumentKind(models.TextChoices):
    CONTRACT = "contract", _("Contract")
    QUOTE = "quote", _("Renewal quote")
    SIGNED = "signed", _("Signed contract")
    INVOICE = "invoice", _("Invoice")
    RECEIPT = "receipt", _("Receipt")
    CANCELLATION = "cancellation", _("Cancellation confirmation")
    OTHER = "other", _("Other")


class Document(TimeStampedModel):
    """A stored file (mostly generated PDFs) with the SHA-256 of its exact bytes.

    Never deleted: documents carry signatures and money.
    """

    kind = models.CharField(_("kind"), max_length=20, choices=DocumentKind.choices)
    title = models.CharField(_("title"), max_length=300)
    file = models.FileField(_("file"), upload_to="documents/%Y/%m/")
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    size = models.PositiveIntegerField(_("size in bytes"), default=0)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="documents",
    )
    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("contract"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="documents",
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
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def display_title(self) -> str:
        """The title in the active language (the stored one is in the customer's language
        of the day it was made, and stays so: it is the record); core/stored_texts.py."""
        return document_title_display(kind=self.kind, title=self.title)
