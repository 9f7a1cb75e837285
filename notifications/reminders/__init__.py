"""The daily renewal-reminder sweep (docs/product.md §4).

The rule for a day: a contract with N days left (1 ≤ N ≤ its largest offset) is due for
the smallest offset ≥ N; it gets that reminder unless it already has it, and nothing for
larger offsets it missed. Catching up after downtime therefore sends one reminder, marked
late when N is below its offset.

Exactly once per (contract term, offset, channel, recipient) is enforced by PostgreSQL:
``Message.dedupe_key`` is unique (and so is the tuple, see the model's constraint), and
rows are inserted with ON CONFLICT DO NOTHING, so two sweeps running at once, two beats
or a redelivered task all end with one row.

The schedule is state (schedule_state.py): ``ReminderSchedule.due_on`` says when a
contract term's next reminder is due. The sweep reads only the contracts due by it
(partial index ``reminder_schedule_due``), decides each one's due offset by the rule
above, and moves its schedule to the next smaller offset in the statement that inserts
its reminders.
Triggers reset the schedule on every change that can move it, so a stale value makes the
sweep look at a contract, never skip one (see sweep.py and schedule_state.py).

Modules: rules.py (offsets, the due offset, channels, keys: Python and SQL side by side),
schedule_state.py (the schedule), sweep.py (the entry point and its summary),
sweep_statement.py (PostgreSQL: one statement per batch), sweep_portable.py (SQLite),
content.py (what a reminder and its staff task say). The daily entry point with the
renewals read is ``lifecycle.reminder_sweep.reminders_sweep``.
"""

from __future__ import annotations

from .content import (
    LINK_PURPOSES,
    portal_action_url,
    reminder_context,
    reminder_context_for_contract,
    reminder_context_for_message,
)
from .rules import ESCALATION_DAYS, RuleBook, due_offset, reminder_dedupe_key
from .schedule_state import reminder_schedule_recompute, reminder_schedule_refresh
from .sweep import SIGNED_SUCCESSOR, SweepSummary, reminders_sweep_run

__all__ = [
    "ESCALATION_DAYS",
    "LINK_PURPOSES",
    "SIGNED_SUCCESSOR",
    "RuleBook",
    "SweepSummary",
    "due_offset",
    "portal_action_url",
    "reminder_context",
    "reminder_context_for_contract",
    "reminder_context_for_message",
    "reminder_dedupe_key",
    "reminder_schedule_recompute",
    "reminder_schedule_refresh",
    "reminders_sweep_run",
]
