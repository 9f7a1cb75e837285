"""Saved customer segments (docs/relations.md, "Segments"): a name, an owner, whether the
owner shares it with colleagues, and its criteria as validated JSON
(relations.segment_criteria). Members are never stored: they are read at the as-of date
and within the viewer's book (relations.segments)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel

from .segment_criteria import SegmentCriteria, validate_criteria


class Segment(TimeStampedModel):
    name = models.CharField(_("name"), max_length=120)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="segments",
    )
    # Shared: every staff user sees it in their list and may use it; each sees only the
    # members in their own book. Only the owner edits or deletes it.
    shared = models.BooleanField(_("shared with colleagues"), default=False)
    criteria = models.JSONField(_("criteria"), default=dict, validators=[validate_criteria])

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="segment_name_per_owner")
        ]

    def __str__(self) -> str:
        return self.name

    def parsed_criteria(self) -> SegmentCriteria:
        """The criteria as an object; raises django.core.exceptions.ValidationError when the
        stored JSON is no longer valid (edited by hand, a plan removed)."""
        return SegmentCriteria.from_json(self.criteria)
