from __future__ import annotations

import argparse
import time

from django.core.management.base import BaseCommand, CommandError

from core.demo import BULK_FROM, demo_seed
from core.demo.logins import demo_logins_lines
from customers.models import Customer


class Command(BaseCommand):
    help = (
        "Create realistic demo data (users, plans, customers, contracts with their history). "
        "Deterministic for a given --seed on a given day."
    )

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=40, help="number of customers")
        parser.add_argument(
            "--contracts",
            type=int,
            default=120,
            help=(
                "number of contracts (every term of a renewal chain counts; the renewals "
                "two portal customers have in progress come on top)"
            ),
        )
        parser.add_argument("--seed", type=int, default=2026, help="random seed")
        parser.add_argument(
            "--bulk",
            action=argparse.BooleanOptionalAction,
            default=None,
            help=(
                "write contracts with bulk INSERTs (same data) instead of through the "
                f"contract services; default: bulk from {BULK_FROM} contracts"
            ),
        )
        parser.add_argument(
            "--logins",
            action="store_true",
            help="only print the demo logins and portal customers (what `make run` shows)",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing (exit 0) when the database already has customers",
        )

    def handle(self, *args, **options):
        if options["logins"]:
            self._print_logins()
            return
        if options["customers"] < 0 or options["contracts"] < 0:
            raise CommandError("--customers and --contracts must not be negative")
        if options["contracts"] and not options["customers"]:
            raise CommandError("contracts need customers: give --customers as well")
        if options["if_empty"] and Customer.objects.exists():
            self.stdout.write("The database already has customers: seed_demo skipped.")
            return
        started = time.monotonic()
        demo = demo_seed(
            customers=options["customers"],
            contracts=options["contracts"],
            seed=options["seed"],
            bulk=options["bulk"],
            log=lambda message: self.stdout.write(f"  {message}"),
        )
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {demo.customers} customers and {demo.contracts} contracts "
                f"in {elapsed:.1f}s (seed {options['seed']})."
            )
        )
        self._print_logins()

    def _print_logins(self):
        self.stdout.write("")
        for line in demo_logins_lines():
            self.stdout.write(line)
