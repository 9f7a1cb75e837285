"""Renewal propensity: how likely an active contract is to be renewed, 0–100.

Features are read set-based (one query with correlated subqueries per batch of
contracts), as of a date: today when scoring, 30 days before the term's end when
building the training history (what was known when the renewal was being decided).

Two scorers share the features:

* a transparent rule-based score (weights below, documented in docs/metrics.md), used
  while the app has too little history (``PROPENSITY_MIN_HISTORY`` ended terms);
* a scikit-learn logistic regression trained by ``manage.py train_propensity`` (and
  nightly) on ended terms: renewed = 1, expired or terminated = 0. Its factors are the
  per-feature contributions (coefficient × standardised value), so they stay readable.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import (
    Count,
    DateField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Coalesce
from django.utils.translation import gettext_lazy as _

from billing.models import Invoice, InvoiceStatus
from contracts.models import Contract, ContractStatus, PlanPrice
from customers.models import PortalAccount
from notifications.models import Message

from .models import Feedback, Survey, SurveyKind

S = ContractStatus
FEATURES = [
    "tenure_years",
    "past_renewals",
    "late_ratio",
    "complaints",
    "satisfaction",
    "price_change",
    "reminders_read",
    "portal_recent",
    "auto_renew",
]
FEATURE_LABELS: dict[str, Any] = {
    "tenure_years": _("Tenure"),
    "past_renewals": _("Past renewals"),
    "late_ratio": _("Late payments"),
    "complaints": _("Complaints in the last year"),
    "satisfaction": _("Satisfaction"),
    "price_change": _("Price change at renewal"),
    "reminders_read": _("Reads renewal reminders"),
    "portal_recent": _("Uses the portal"),
    "auto_renew": _("Auto-renewal on"),
}
COMPLAINT_CATEGORIES = ("complaint", "service", "billing")
HORIZON_DAYS = 120
TRAINING_LEAD_DAYS = 30


def min_history() -> int:
    return int(settings.RENEWDESK.get("PROPENSITY_MIN_HISTORY", 500))


def _count(qs: QuerySet, group: str) -> Coalesce:
    return Coalesce(
        Subquery(
            qs.order_by().values(group).annotate(n=Count("id")).values("n")[:1],
            output_field=IntegerField(),
        ),
        Value(0),
    )


def _price_on(date_ref: Any) -> Subquery:
    return Subquery(
        PlanPrice.objects.filter(plan=OuterRef("plan"), effective_from__lte=date_ref)
        .order_by("-effective_from")
        .values("price")[:1]
    )


def annotate_features(qs: QuerySet[Contract], *, as_of: Any) -> QuerySet[Contract]:
    """``as_of`` is a date or an expression over the contract row."""
    as_of_expr = as_of if hasattr(as_of, "resolve_expression") else Value(as_of)
    qs = qs.annotate(as_of=Cast(as_of_expr, DateField()))
    ref = OuterRef("as_of")
    customer = OuterRef("customer")
    invoices = Invoice.objects.filter(customer=customer, due_date__lt=ref).exclude(
        status=InvoiceStatus.VOID
    )
    late = invoices.filter(
        Q(paid_at__isnull=False, paid_at__date__gt=F("due_date"))
        | Q(paid_at__isnull=True, status=InvoiceStatus.OPEN)
    )
    year_before = ExpressionWrapper(ref - dt.timedelta(days=365), output_field=DateField())
    complaints = Feedback.objects.filter(
        customer=customer,
        category__in=COMPLAINT_CATEGORIES,
        created_at__date__lte=ref,
        created_at__date__gte=year_before,
    )
    survey = Survey.objects.filter(
        customer=customer, answered_at__isnull=False, answered_at__date__lte=ref
    ).order_by("-answered_at", "-id")
    reminders = _message_counts()
    ninety_before = ExpressionWrapper(ref - dt.timedelta(days=90), output_field=DateField())
    return qs.annotate(
        first_start=Subquery(
            Contract.objects.filter(
                customer=customer, status__in=[S.ACTIVE, S.RENEWED, S.EXPIRED, S.TERMINATED]
            )
            .order_by()
            .values("customer")
            .annotate(m=Min("start_date"))
            .values("m")[:1]
        ),
        renewals=_count(
            Contract.objects.filter(customer=customer, status=S.RENEWED, end_date__lt=ref),
            "customer",
        ),
        invoices_due=_count(invoices, "customer"),
        invoices_late=_count(late, "customer"),
        complaints=_count(complaints, "customer"),
        survey_score=Subquery(survey.values("score")[:1]),
        survey_kind=Subquery(survey.values("kind")[:1]),
        price_start=Coalesce(_price_on(OuterRef("start_date")), F("plan__price")),
        price_next=Coalesce(
            _price_on(
                ExpressionWrapper(
                    OuterRef("end_date") + dt.timedelta(days=1), output_field=DateField()
                )
            ),
            F("plan__price"),
        ),
        portal_recent=Exists(
            PortalAccount.objects.filter(
                customer=customer, user__last_login__date__gte=ninety_before
            )
        ),
        **reminders,
    )


def _message_counts() -> dict[str, Any]:
    sent = Message.objects.filter(contract=OuterRef("pk"), kind="renewal_reminder")
    return {
        "reminders_sent": _count(sent, "contract"),
        "reminders_opened": _count(sent.filter(read_at__isnull=False), "contract"),
    }


FEATURE_FIELDS = [
    "pk",
    "as_of",
    "first_start",
    "renewals",
    "invoices_due",
    "invoices_late",
    "complaints",
    "survey_score",
    "survey_kind",
    "price_start",
    "price_next",
    "portal_recent",
    "reminders_sent",
    "reminders_opened",
    "auto_renew",
]


def features_from_row(row: dict[str, Any]) -> dict[str, float | None]:
    """Numbers for one contract. ``None`` means unknown (no survey, no reminder sent)."""
    as_of = row["as_of"]
    first = row["first_start"] or as_of
    tenure = max((as_of - first).days, 0) / 365.0
    late_ratio = row["invoices_late"] / row["invoices_due"] if row["invoices_due"] else 0.0
    satisfaction: float | None = None
    if row["survey_score"] is not None:
        if row["survey_kind"] == SurveyKind.NPS:
            satisfaction = row["survey_score"] / 10.0
        else:
            satisfaction = (row["survey_score"] - 1) / 4.0
    price_change = 0.0
    if row["price_start"]:
        price_change = float(
            (Decimal(row["price_next"] or 0) - Decimal(row["price_start"]))
            / Decimal(row["price_start"])
        )
    reminders: float | None = None
    if row["reminders_sent"]:
        reminders = row["reminders_opened"] / row["reminders_sent"]
    return {
        "tenure_years": tenure,
        "past_renewals": float(row["renewals"]),
        "late_ratio": late_ratio,
        "complaints": float(row["complaints"]),
        "satisfaction": satisfaction,
        "price_change": price_change,
        "reminders_read": reminders,
        "portal_recent": 1.0 if row["portal_recent"] else 0.0,
        "auto_renew": 1.0 if row["auto_renew"] else 0.0,
    }


# Neutral values for unknown features, used by the model (rules simply skip them).
NEUTRAL = {"satisfaction": 0.5, "reminders_read": 0.5}


def vector(features: dict[str, float | None]) -> list[float]:
    return [
        NEUTRAL.get(name, 0.0) if (value := features[name]) is None else float(value)
        for name in FEATURES
    ]


# --- rule-based score ---------------------------------------------------------------------

RULE_BASE = 60


def rule_contributions(features: dict[str, float | None]) -> dict[str, float]:
    """Points added to or taken from RULE_BASE, per feature (see docs/metrics.md)."""
    f = features
    points: dict[str, float] = {
        "tenure_years": min(float(f["tenure_years"] or 0) * 3, 10),
        "past_renewals": min(float(f["past_renewals"] or 0) * 5, 15),
        "late_ratio": -35 * float(f["late_ratio"] or 0),
        "complaints": -min(float(f["complaints"] or 0) * 8, 24),
        "price_change": -min(max(float(f["price_change"] or 0), 0) * 100, 15)
        + (3 if (f["price_change"] or 0) < 0 else 0),
        "portal_recent": 5 * float(f["portal_recent"] or 0),
        "auto_renew": 10 * float(f["auto_renew"] or 0),
    }
    if f["satisfaction"] is not None:
        points["satisfaction"] = (float(f["satisfaction"]) - 0.5) * 30
    if f["reminders_read"] is not None:
        points["reminders_read"] = (float(f["reminders_read"]) - 0.5) * 10
    return points


def clamp_score(value: float) -> int:
    return int(round(min(max(value, 0), 100)))


@dataclass(frozen=True)
class Scored:
    contract_id: int
    score: int
    factors: list[dict[str, Any]]


def top_factors(contributions: dict[str, float], *, n: int = 3) -> list[dict[str, Any]]:
    ranked = sorted(
        ((k, v) for k, v in contributions.items() if abs(v) >= 0.5),
        key=lambda kv: -abs(kv[1]),
    )
    return [
        {"feature": k, "effect": round(v, 1), "direction": "up" if v > 0 else "down"}
        for k, v in ranked[:n]
    ]


def score_rules(features: dict[str, float | None]) -> tuple[int, list[dict[str, Any]]]:
    contributions = rule_contributions(features)
    return clamp_score(RULE_BASE + sum(contributions.values())), top_factors(contributions)


# --- trained model --------------------------------------------------------------------------


def model_dump(estimator: Any) -> bytes:
    import joblib

    buffer = io.BytesIO()
    joblib.dump(estimator, buffer)
    return buffer.getvalue()


def model_load(blob: bytes) -> Any:
    import joblib

    # Only blobs written by train_propensity into our own database are ever loaded.
    return joblib.load(io.BytesIO(bytes(blob)))


def score_model(estimator: Any, rows: list[list[float]]) -> list[tuple[int, list[dict]]]:
    """Scores and per-feature contributions (coefficient × standardised value, in
    points of probability around the average contract)."""
    import numpy as np

    if not rows:
        return []
    x = np.array(rows, dtype=float)
    proba = estimator.predict_proba(x)[:, 1]
    scaler = estimator.named_steps["scale"]
    coef = estimator.named_steps["model"].coef_[0]
    z = scaler.transform(x) * coef
    out = []
    for p, contrib in zip(proba, z, strict=True):
        # Logit contributions, shown on a 0–100 scale (p × (1 − p) is the slope there).
        scale = 100 * p * (1 - p)
        contributions = {name: float(c) * scale for name, c in zip(FEATURES, contrib, strict=True)}
        out.append((clamp_score(100 * p), top_factors(contributions)))
    return out


def training_rows(*, today: dt.date) -> tuple[list[list[float]], list[int]]:
    """Ended terms (renewed = 1, expired / terminated = 0) with their features 30 days
    before their end."""
    ended = Contract.objects.filter(
        status__in=[S.RENEWED, S.EXPIRED, S.TERMINATED], end_date__lt=today
    )
    as_of = ExpressionWrapper(
        F("end_date") - dt.timedelta(days=TRAINING_LEAD_DAYS), output_field=DateField()
    )
    qs = annotate_features(ended, as_of=as_of).values(*FEATURE_FIELDS, "status").order_by("pk")
    x: list[list[float]] = []
    y: list[int] = []
    for row in qs.iterator(chunk_size=5000):
        x.append(vector(features_from_row(row)))
        y.append(1 if row["status"] == S.RENEWED else 0)
    return x, y


@dataclass(frozen=True)
class TrainingResult:
    trained: bool
    rows: int
    auc: float | None = None
    model_id: int | None = None
    reason: str = ""


def propensity_train(
    *, today: dt.date, minimum: int | None = None, seed: int = 42
) -> TrainingResult:
    """Fit, evaluate on a stratified 25 % holdout, store. Below ``minimum`` ended terms
    (or with a single class) nothing is trained and the rules stay in use."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from .models import PropensityModel

    minimum = min_history() if minimum is None else minimum
    x, y = training_rows(today=today)
    if len(y) < minimum:
        return TrainingResult(False, len(y), reason="too little history")
    if len(set(y)) < 2 or min(y.count(0), y.count(1)) < 2:
        return TrainingResult(False, len(y), reason="only one outcome in the history")
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.25, random_state=seed, stratify=y
    )
    estimator = Pipeline(
        [("scale", StandardScaler()), ("model", LogisticRegression(max_iter=1000))]
    )
    estimator.fit(x_train, y_train)
    auc = float(roc_auc_score(y_test, estimator.predict_proba(x_test)[:, 1]))
    row = PropensityModel.objects.create(
        algorithm="logistic_regression",
        training_rows=len(y_train),
        holdout_rows=len(y_test),
        holdout_auc=auc,
        features=FEATURES,
        blob=model_dump(estimator),
    )
    return TrainingResult(True, len(y), auc=auc, model_id=row.pk)


def current_model() -> Any:
    """The newest stored model trained on the current feature list, or None."""
    from .models import PropensityModel

    row = PropensityModel.objects.order_by("-trained_at", "-id").first()
    if row is None or row.features != FEATURES:
        return None
    return row
