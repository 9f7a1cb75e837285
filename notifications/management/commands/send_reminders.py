from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from lifecycle.reminder_sweep import reminders_sweep


class Command(BaseCommand):
    help = "The daily renewal-reminder sweep for a date: creates the messages that are due."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="YYYY-MM-DD (default: today in TIME_ZONE)")

    def handle(self, *args, **options):
        as_of = None
        if options["as_of"]:
            try:
                as_of = dt.date.fromisoformat(options["as_of"])
            except ValueError as exc:
                raise CommandError("--as-of must be a date like 2026-05-31") from exc
        s = reminders_sweep(as_of=as_of)
        # Every figure but the contracts read counts rows this run wrote (see SweepSummary).
        self.stdout.write(
            f"as of {s.as_of}: {s.contracts_seen} contracts due by their reminder schedule; "
            f"created {s.created} messages (late: {s.late}) "
            f"and {s.tasks} staff tasks (escalations: {s.escalations}); "
            f"{s.skipped} reminders existed already"
        )
