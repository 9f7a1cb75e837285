from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from contracts.ends import process_contract_ends, process_contract_ends_fan_out


class Command(BaseCommand):
    help = (
        "Activations, auto-renewals, renewals, expiries and due cancellations for a date "
        "(default: today in the business time zone). Safe to run more than once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--as-of", dest="as_of", help="business date YYYY-MM-DD")
        parser.add_argument(
            "--fan-out",
            action="store_true",
            help="share the chunks with the Celery workers, as the daily task does "
            "(needs the shared cache, REDIS_URL; otherwise runs here alone)",
        )

    def handle(self, *args, **options):
        if options["as_of"]:
            try:
                as_of = dt.date.fromisoformat(options["as_of"])
            except ValueError as exc:
                raise CommandError("--as-of must be a date like 2026-11-30") from exc
        else:
            as_of = timezone.localdate()
        if options["fan_out"]:
            report = process_contract_ends_fan_out(as_of=as_of)
        else:
            report = process_contract_ends(as_of=as_of)
        for key, value in report.as_dict().items():
            if isinstance(value, list):
                value = ", ".join(value) or "none"
            self.stdout.write(f"{key}: {value}")
        for line in report.errors:
            self.stderr.write(f"error: {line}")
        if report.renewal_failed:
            self.stderr.write(
                "renewal failed, held (not expired) and retried on the next run: "
                + ", ".join(sorted(report.renewal_failed.values()))
            )
        if report.errors:
            raise CommandError(f"{len(report.errors)} contract(s) failed; see the log")
