"""A declared workflow: which status may follow which, and the one way to change it.

Each stateful entity has one state module (``contracts/contract_states.py``,
``renewals/quote_states.py``, ...) that declares its :class:`StateMachine` and the
functions that change the status through it. Nothing else assigns the status field;
``tests/architecture/test_status_writers.py`` walks the code and fails if something does.

A change, single or batch, is always: lock the row (or compare-and-swap on the old
status), check the table, write the new status and the event row in one transaction, and
publish the event after the commit (``core.events``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import InvalidTransition
from core.events import EventBase, events_publish

M = TypeVar("M", bound=models.Model)

# Builds the event row for one change (not saved): (the locked row, old status, new status).
EventFactory = Callable[[Any, str, str], EventBase | None]


@dataclass(frozen=True)
class StateMachine(Generic[M]):
    model: type[M]
    transitions: Mapping[str, frozenset[str]]
    attr: str = "status"
    # Statuses a new row may start in (creation is not a transition).
    initial: frozenset[str] = field(default_factory=frozenset)
    # Whether the model has an ``updated_at`` column to touch on every change.
    touch_updated_at: bool = True

    def __post_init__(self) -> None:
        states = set(self.transitions)
        for src, targets in self.transitions.items():
            unknown = set(targets) - states
            if unknown:
                raise ValueError(f"{self.model.__name__}: {src} -> unknown {sorted(unknown)}")

    # -- reading the table ------------------------------------------------------------

    def can(self, src: str, dst: str) -> bool:
        return dst in self.transitions.get(src, frozenset())

    def sources_of(self, dst: str) -> frozenset[str]:
        """Every status from which ``dst`` may be reached."""
        return frozenset(src for src, targets in self.transitions.items() if dst in targets)

    def is_final(self, state: str) -> bool:
        return not self.transitions.get(state)

    def check(self, src: str, dst: str, expect_from: Iterable[str] | None = None) -> None:
        allowed_from = set(expect_from) if expect_from is not None else None
        if self.can(src, dst) and (allowed_from is None or src in allowed_from):
            return
        raise InvalidTransition(
            _("%(entity)s that is “%(current)s” cannot become “%(target)s”.")
            % {
                "entity": str(self.model._meta.verbose_name).capitalize(),
                "current": self.label(src),
                "target": self.label(dst),
            }
        )

    def label(self, state: str) -> str:
        status_field = self.model._meta.get_field(self.attr)
        choices = dict(status_field.choices or []) if isinstance(status_field, models.Field) else {}
        return str(choices.get(state, state))

    # -- changing one row -------------------------------------------------------------

    def change(
        self,
        obj: M,
        to: str,
        *,
        event: EventFactory | None = None,
        expect_from: Iterable[str] | None = None,
        updates: Mapping[str, Any] | None = None,
    ) -> M:
        """Lock the row, check, write status (+ ``updates``) and the event, publish after
        commit. Two callers racing queue on the lock; the second sees the new status and is
        refused. ``obj`` is refreshed with what was written and returned."""
        with transaction.atomic():
            locked = self.model._default_manager.select_for_update().get(pk=obj.pk)
            self.change_locked(locked, to, event=event, expect_from=expect_from, updates=updates)
        for name in self._written(updates):
            setattr(obj, name, getattr(locked, name))
        return obj

    def change_locked(
        self,
        obj: M,
        to: str,
        *,
        event: EventFactory | None = None,
        expect_from: Iterable[str] | None = None,
        updates: Mapping[str, Any] | None = None,
    ) -> M:
        """:meth:`change` for one row the caller has already locked (``select_for_update``
        in the current transaction) and passes fresh: no second lock of the row. Same
        check, write, event and publish; ``obj`` is updated in place and returned."""
        if not transaction.get_connection().in_atomic_block:
            raise RuntimeError("change_locked needs the caller's transaction")
        current = getattr(obj, self.attr)
        self.check(current, to, expect_from)
        setattr(obj, self.attr, to)
        for name, value in (updates or {}).items():
            setattr(obj, name, value)
        obj.save(update_fields=self._written(updates))
        row = event(obj, current, to) if event is not None else None
        if row is not None:
            row.save()  # a new event row publishes itself (EventBase.save)
        return obj

    def _written(self, updates: Mapping[str, Any] | None) -> list[str]:
        names = [self.attr, *(updates or {})]
        if self.touch_updated_at:
            names.append("updated_at")
        return names

    def change_if(
        self,
        pk: Any,
        to: str,
        *,
        expect_from: Iterable[str],
        updates: Mapping[str, Any] | None = None,
        event: EventFactory | None = None,
        where: Mapping[str, Any] | None = None,
    ) -> bool:
        """Compare-and-swap without a lock, for hot rows (a message being delivered, an
        import a worker claims): the row changes only if it is still in one of
        ``expect_from`` (each must be allowed by the table) and matches ``where`` (a claim
        condition: the message is due, the worker still holds its claim). Returns whether
        it changed.

        With ``event``, the swap and the event row share one transaction: one conditional
        UPDATE per allowed source status, in turn, so the one that matches tells the old
        status (at most one can match: the first that does changes the status). The event
        factory gets the row as written."""
        sources = [s for s in expect_from if self.can(s, to)]
        if not sources:
            raise InvalidTransition(f"{self.model.__name__}: nothing may become {to}")
        values: dict[str, Any] = {self.attr: to, **(updates or {})}
        if self.touch_updated_at:
            values["updated_at"] = timezone.now()
        rows = self.model._default_manager.filter(pk=pk, **(where or {}))
        if event is None:
            return bool(rows.filter(**{f"{self.attr}__in": sources}).update(**values))
        with transaction.atomic():
            for current in sources:
                if rows.filter(**{self.attr: current}).update(**values):
                    written = self.model._default_manager.get(pk=pk)
                    row = event(written, current, to)
                    if row is not None:
                        row.save()  # publishes itself after the commit (EventBase.save)
                    return True
        return False

    # -- changing many rows the caller has locked -------------------------------------

    def change_locked_many(
        self,
        objs: Sequence[M],
        to: str,
        *,
        event: EventFactory | None = None,
        expect_from: Iterable[str] | None = None,
        updates: Mapping[str, Any] | None = None,
    ) -> list[M]:
        """The batch form of :meth:`change`, for set-based sweeps: the caller holds
        ``select_for_update`` on every row in the current transaction and passes those
        fresh instances. Same table, same events, one UPDATE per old status and one INSERT.
        All or nothing: one refused row refuses the batch."""
        if not transaction.get_connection().in_atomic_block:
            raise RuntimeError("change_locked_many needs the caller's transaction")
        objs = list(objs)
        if not objs:
            return objs
        allowed_from = list(expect_from) if expect_from is not None else None
        for obj in objs:
            self.check(getattr(obj, self.attr), to, allowed_from)
        values: dict[str, Any] = {self.attr: to, **(updates or {})}
        if self.touch_updated_at:
            values["updated_at"] = timezone.now()
        by_from: dict[str, list[Any]] = {}
        for obj in objs:
            by_from.setdefault(getattr(obj, self.attr), []).append(obj.pk)
        for current, ids in by_from.items():
            # Compare-and-swap on top of the caller's lock: a row that changed anyway (the
            # caller did not lock it) makes the count differ, and the whole batch rolls back.
            changed = self.model._default_manager.filter(pk__in=ids, **{self.attr: current}).update(
                **values
            )
            if changed != len(ids):
                raise RuntimeError(f"{self.model.__name__} {ids} were not locked by the caller")
        rows = []
        if event is not None:
            for obj in objs:
                row = event(obj, getattr(obj, self.attr), to)
                if row is not None:
                    rows.append(row)
        for obj in objs:
            for name, value in values.items():
                setattr(obj, name, value)
        if rows:
            model = type(rows[0])
            model._default_manager.bulk_create(rows)
            events_publish(model, [r.pk for r in rows])
        return objs
