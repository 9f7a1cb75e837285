from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from core.csv_import import report_lines
from customers.importers import CUSTOMER_COLUMNS, customers_import_csv


class Command(BaseCommand):
    help = "Import customers from a CSV file (" + ",".join(CUSTOMER_COLUMNS) + "); all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file, UTF-8 with or without BOM")
        parser.add_argument(
            "--dry-run", action="store_true", help="validate and report without writing"
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(
                _("Cannot read %(path)s: %(error)s") % {"path": path, "error": exc}
            ) from exc
        report = customers_import_csv(source=data, dry_run=options["dry_run"])
        *problems, summary = report_lines(report)
        for line in problems:
            self.stderr.write(line)
        if not report.ok:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))
