from __future__ import annotations

from django.core.management.base import BaseCommand

from notifications.services import outbox_deliver_due


class Command(BaseCommand):
    help = "Deliver every message in the outbox that is due, as the scheduled task does."

    def add_arguments(self, parser):
        parser.add_argument(
            "--max-seconds", type=float, default=3600.0, help="stop after this long"
        )

    def handle(self, *args, **options):
        s = outbox_deliver_due(max_seconds=options["max_seconds"])
        self.stdout.write(
            f"delivered {s.sent}, retry later {s.retry}, failed {s.failed}, "
            f"cancelled {s.cancelled} (no longer relevant), "
            f"re-queued stuck {s.requeued}, claimed by another worker {s.lost}"
        )
