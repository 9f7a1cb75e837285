from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


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
