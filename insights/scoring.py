"""The scoring sweep (writes ContractScore rows) and the at-risk list (reads them)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from contracts.models import Contract, ContractStatus

from . import propensity as p
from .models import ContractScore, ScoreMethod
from .selectors import DashboardFilters, converted, dashboard_contracts, fx_rates


@dataclass(frozen=True)
class ScoringResult:
    scored: int
    method: str
    removed: int


def due_for_scoring(*, today: dt.date) -> QuerySet[Contract]:
    return Contract.objects.filter(
        status=ContractStatus.ACTIVE,
        end_date__gte=today,
        end_date__lte=today + dt.timedelta(days=p.HORIZON_DAYS),
    )


def propensity_score_all(*, today: dt.date, batch_size: int = 2000) -> ScoringResult:
    """Score every active contract ending within 120 days, in batches (one feature query
    per batch) and upsert the rows; rows of contracts that left the window are removed.
    Running it twice gives the same rows."""
    started = timezone.now()
    model_row = p.current_model()
    use_model = model_row is not None and (
        model_row.training_rows + model_row.holdout_rows >= p.min_history()
    )
    estimator = p.model_load(model_row.blob) if use_model else None
    rates = fx_rates()
    ids = list(due_for_scoring(today=today).order_by("pk").values_list("pk", flat=True))
    scored = 0
    for start in range(0, len(ids), batch_size):
        chunk = ids[start : start + batch_size]
        qs = p.annotate_features(Contract.objects.filter(pk__in=chunk), as_of=today).annotate(
            value_default=converted("annual_value", rates=rates)
        )
        rows = list(qs.values(*p.FEATURE_FIELDS, "value_default"))
        features = [p.features_from_row(r) for r in rows]
        if estimator is not None:
            results = p.score_model(estimator, [p.vector(f) for f in features])
        else:
            results = [p.score_rules(f) for f in features]
        objs = []
        for row, (score, factors) in zip(rows, results, strict=True):
            value = Decimal(row["value_default"] or 0)
            objs.append(
                ContractScore(
                    contract_id=row["pk"],
                    score=score,
                    value_at_risk=(value * (100 - score) / 100).quantize(Decimal("0.01")),
                    factors=factors,
                    method=ScoreMethod.MODEL if estimator is not None else ScoreMethod.RULES,
                    model=model_row if estimator is not None else None,
                    computed_at=started,
                )
            )
        with transaction.atomic():
            ContractScore.objects.bulk_create(
                objs,
                update_conflicts=True,
                unique_fields=["contract"],
                update_fields=[
                    "score",
                    "value_at_risk",
                    "factors",
                    "method",
                    "model",
                    "computed_at",
                ],
            )
        scored += len(objs)
    removed, _detail = ContractScore.objects.filter(computed_at__lt=started).delete()
    return ScoringResult(
        scored=scored,
        method=ScoreMethod.MODEL if estimator is not None else ScoreMethod.RULES,
        removed=removed,
    )


def at_risk_list(
    *, user: Any, filters: DashboardFilters, today: dt.date
) -> QuerySet[ContractScore]:
    """Scored contracts in the user's book still active and ending within 120 days,
    the most value at risk first."""
    contracts = dashboard_contracts(user=user, filters=filters).filter(
        status=ContractStatus.ACTIVE,
        end_date__gte=today,
        end_date__lte=today + dt.timedelta(days=p.HORIZON_DAYS),
    )
    return (
        ContractScore.objects.filter(contract__in=contracts)
        .select_related("contract", "contract__customer", "contract__customer__account_manager")
        .order_by("-value_at_risk", "contract__end_date", "contract_id")
    )
