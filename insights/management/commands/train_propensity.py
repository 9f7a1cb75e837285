from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from insights import propensity
from insights.scoring import propensity_score_all


class Command(BaseCommand):
    help = (
        "Train the renewal-propensity model on the app's own history of ended terms, print "
        "its holdout AUC, and rescore the active contracts ending within 120 days."
    )

    def add_arguments(self, parser):
        parser.add_argument("--min-history", type=int, default=None)
        parser.add_argument("--as-of", default=None, help="YYYY-MM-DD (default: today)")
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--no-score", action="store_true", help="train only")

    def handle(self, *args, **options):
        try:
            today = (
                dt.date.fromisoformat(options["as_of"])
                if options["as_of"]
                else timezone.localdate()
            )
        except ValueError as exc:
            raise CommandError("--as-of must be YYYY-MM-DD") from exc
        result = propensity.propensity_train(
            today=today, minimum=options["min_history"], seed=options["seed"]
        )
        if result.trained:
            self.stdout.write(
                f"trained on {result.rows} ended terms; holdout AUC {result.auc:.3f} "
                f"(model #{result.model_id})"
            )
        else:
            self.stdout.write(
                f"not trained ({result.reason}: {result.rows} ended terms); "
                "the rule-based score stays in use"
            )
        if not options["no_score"]:
            scoring = propensity_score_all(today=today)
            self.stdout.write(f"scored {scoring.scored} contracts ({scoring.method})")
