from __future__ import annotations

from django.core.management.base import BaseCommand

from notifications.schedule import periodic_tasks_setup


class Command(BaseCommand):
    help = (
        "Create or update, by name, the Celery beat rows RenewDesk needs. Existing rows keep "
        "the timing an admin gave them; only their task path is brought up to date."
    )

    def handle(self, *args, **options):
        for name, done in periodic_tasks_setup():
            self.stdout.write(f"{done:<7} {name}")
