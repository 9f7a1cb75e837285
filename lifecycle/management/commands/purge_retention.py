"""The retention purge for a date, as the daily task runs it (docs/compliance.md,
"Evidence and retention")."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from lifecycle.retention_purge import retention_purge


class Command(BaseCommand):
    help = (
        "Delete the consent records and delivery logs whose retention period is over on a "
        "date (default: today in the business time zone). Safe to run more than once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", dest="as_of", help="business date YYYY-MM-DD")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["as_of"]:
            try:
                as_of = dt.date.fromisoformat(options["as_of"])
            except ValueError as exc:
                raise CommandError("--as-of must be a date like 2031-03-01") from exc
        else:
            as_of = timezone.localdate()
        run = retention_purge(as_of=as_of)
        self.stdout.write(
            f"{as_of}: {run.contracts_examined} contract(s) examined, "
            f"{run.contracts_purged} purged, {run.consents_deleted} consent record(s) and "
            f"{run.delivery_logs_deleted} delivery log row(s) deleted, "
            f"{run.consents_kept_for_mandates} kept for a payment method"
        )
