"""The one shape of an event row, and how an event is announced after its transaction.

Every event table (a contract's, a cancellation request's, a feedback item's, ...)
derives from :class:`EventBase`: one row per change, written in the same transaction as
the change by the entity's state module. ``reacted_at`` stays empty until the reactions
declared in ``lifecycle/subscriptions.py`` have run for the row; the reaction sweeper
claims rows where it is empty (``SELECT ... FOR UPDATE SKIP LOCKED``), so a crash between
the commit and the reaction loses nothing: the row is still there, unclaimed.

A new row is published when it is saved (``EventBase.save``); rows inserted with
``bulk_create`` are published by whoever inserts them (``events_publish``), or are left to
the sweep. Publishing does two things:

- at once, inside the writer's transaction, the few reactions declared to share its fate
  (``settings.RENEWDESK_EVENT_IN_TRANSACTION``: a failure there undoes the change, as a
  signal receiver's did);
- after the commit, the other reactions, in the same process (as the signals used to;
  ``settings.RENEWDESK_EVENT_DELIVERY``). The periodic sweep is the safety net.

Core does not import the app that reacts: the settings name it, as ``ROOT_URLCONF`` names
the URLs.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)


class EventBase(models.Model):
    """Columns shared by every event table. Subclasses add the foreign key to their subject
    (named in ``SUBJECT_FIELD``) and any column of their own (a note, a staff-only flag)."""

    SUBJECT_FIELD: ClassVar[str] = ""

    at = models.DateTimeField(_("at"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=50)
    from_status = models.CharField(_("from"), max_length=20, blank=True)
    to_status = models.CharField(_("to"), max_length=20, blank=True)
    payload = models.JSONField(_("details"), default=dict, blank=True)
    # Set by the reaction sweeper once every subscription for this row has run.
    reacted_at = models.DateTimeField(_("reactions run at"), null=True, blank=True)
    reaction_attempts = models.PositiveSmallIntegerField(_("reaction attempts"), default=0)
    reaction_error = models.TextField(_("last reaction error"), blank=True)
    # After a failed attempt: not tried again before this time (growing delays).
    reaction_retry_at = models.DateTimeField(_("reactions retried after"), null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["at", "id"]
        indexes = [
            # The sweeper's claim reads only rows still waiting for their reactions.
            models.Index(
                fields=["id"],
                condition=models.Q(reacted_at__isnull=True),
                # Index names are at most 30 characters: the class name alone.
                name="%(class)s_unreacted",
            )
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        adding = self._state.adding
        super().save(*args, **kwargs)
        if adding:
            event_publish(self)

    @property
    def subject_id(self) -> Any:
        return getattr(self, f"{self.SUBJECT_FIELD}_id")


def reaction_max_attempts() -> int:
    """After this many failed attempts the sweep leaves a row alone (the admin lists it)."""
    return int(getattr(settings, "RENEWDESK_REACTION_MAX_ATTEMPTS", 8))


def reactions_failed() -> models.Q:
    """Rows given up on after the last attempt."""
    return models.Q(reacted_at__isnull=True, reaction_attempts__gte=reaction_max_attempts())


def reactions_waiting() -> models.Q:
    """Rows the sweep will still try: new, or retrying after a failure."""
    return models.Q(reacted_at__isnull=True, reaction_attempts__lt=reaction_max_attempts())


def reactions_retry(rows: models.QuerySet) -> int:
    """Send unreacted rows back to the sweep (next run), attempts from zero."""
    return rows.filter(reacted_at__isnull=True).update(reaction_attempts=0, reaction_retry_at=None)


def actor_or_none(by: Any) -> Any:
    """The user to store as an event's actor: only an authenticated one."""
    return by if (by is not None and getattr(by, "is_authenticated", False)) else None


def event_publish(event: EventBase) -> None:
    """Have the event's reactions run: the same-transaction ones now, the others after
    the commit.

    Called for every new row by ``EventBase.save`` (a second call for the same instance
    does nothing). A rolled-back transaction publishes
    nothing; a crash after the commit leaves the row unreacted for the sweeper.
    """
    if getattr(event, "_event_published", False):
        return
    event._event_published = True  # type: ignore[attr-defined]
    _publish(type(event), [event.pk], [event])


def events_publish(model: type[EventBase], ids: list[int]) -> None:
    """``event_publish`` for rows inserted together (``bulk_create``)."""
    _publish(model, list(ids), None)


def _publish(model: type[EventBase], ids: list[int], rows: list[EventBase] | None) -> None:
    if not ids:
        return
    label = model._meta.label
    in_transaction = getattr(settings, "RENEWDESK_EVENT_IN_TRANSACTION", "")
    if in_transaction:
        # No try: a reaction that shares the change's fate fails the change.
        import_string(in_transaction)(label, ids, rows)
    transaction.on_commit(lambda: _deliver(label, ids))


def _deliver(label: str, ids: list[int]) -> None:
    path = getattr(settings, "RENEWDESK_EVENT_DELIVERY", "")
    if not path:
        return
    try:
        import_string(path)(label, ids)
    except Exception:
        # The rows stay unreacted; the periodic sweep runs them again.
        logger.exception("immediate reactions to %s %s failed; the sweep will retry", label, ids)
