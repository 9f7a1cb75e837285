from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from lifecycle.contract_ends import process_contract_ends
from lifecycle.end_tasks import process_contract_ends_task

# How long --fan-out waits for the workers to finish the run.
FAN_OUT_WAIT_SECONDS = 2 * 60 * 60


class Command(BaseCommand):
    help = (
        "Activations, auto-renewals, renewals, expiries and due cancellations for a date "
        "(default: today in the business time zone). Safe to run more than once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", dest="as_of", help="business date YYYY-MM-DD")
        parser.add_argument(
            "--fan-out",
            action="store_true",
            help="send the run to the Celery workers, as the daily task does (its chunks "
            "are shared between them; needs a worker on the 'sweeps' queue), and wait for "
            "its report",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["as_of"]:
            try:
                as_of = dt.date.fromisoformat(options["as_of"])
            except ValueError as exc:
                raise CommandError("--as-of must be a date like 2026-11-30") from exc
        else:
            as_of = timezone.localdate()
        if options["fan_out"]:
            result = process_contract_ends_task.delay(as_of.isoformat())
            summary = result.get(timeout=FAN_OUT_WAIT_SECONDS)
            errors: list[str] = []  # each one is in the workers' log
        else:
            report = process_contract_ends(as_of=as_of)
            summary, errors = report.as_dict(), report.errors
        for key, value in summary.items():
            if isinstance(value, list):
                value = ", ".join(value) or "none"
            self.stdout.write(f"{key}: {value}")
        for line in errors:
            self.stderr.write(f"error: {line}")
        if summary["renewal_failed"]:
            self.stderr.write(
                "renewal failed, held (not expired) and retried on the next run: "
                + ", ".join(sorted(summary["renewal_failed"]))
            )
        if summary["errors"]:
            raise CommandError(f"{summary['errors']} contract(s) failed; see the log")
