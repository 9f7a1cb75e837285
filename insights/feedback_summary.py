"""Customer feedback summarised by category, with its monthly trend: how many items came
in, how many are still open and how many are resolved, and how long resolving took.

Over the user's book (``customers.access``) and the same twelve months as the loss
analysis (``loss_reasons.window``): an item belongs to the month it was created in, in
the business time zone. "Resolved" means resolved or closed; the time to resolve runs
from creation to ``resolved_at`` (or ``closed_at`` for an item closed without being
marked resolved first). Two GROUP BY queries.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, DateField, DurationField, ExpressionWrapper, F, Q
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers.access import customers_visible_to

from .loss_reasons import Column, LossFilters, Table, month_starts, window
from .models import Feedback, FeedbackCategory, FeedbackStatus

RESOLVED = (FeedbackStatus.RESOLVED, FeedbackStatus.CLOSED)
DAY = Decimal(86400)


def _feedback(*, user: Any, filters: LossFilters) -> Any:
    start, end = window(filters.as_of)
    qs = Feedback.objects.filter(
        customer__in=customers_visible_to(user), created_at__gte=start, created_at__lt=end
    )
    if filters.manager_id:
        qs = qs.filter(customer__account_manager_id=filters.manager_id)
    if filters.tier:
        qs = qs.filter(
            Q(customer__tier_override=filters.tier)
            | Q(customer__tier_override="", customer__tier=filters.tier)
        )
    return qs.order_by()


def _days(duration: dt.timedelta | None) -> Decimal | None:
    if duration is None:
        return None
    return (Decimal(duration.total_seconds()) / DAY).quantize(Decimal("0.1"))


def feedback_tables(*, user: Any, filters: LossFilters) -> list[Table]:
    """By category (received, open, resolved, average days to resolve) and the month ×
    category trend of items received, with the month's open and resolved counts."""
    qs = _feedback(user=user, filters=filters)
    resolved_at = Coalesce("resolved_at", "closed_at")
    took = ExpressionWrapper(resolved_at - F("created_at"), output_field=DurationField())
    by_category = {
        r["category"]: r
        for r in qs.values("category").annotate(
            n=Count("id"),
            resolved=Count("id", filter=Q(status__in=RESOLVED)),
            took=Avg(took, filter=Q(status__in=RESOLVED)),
        )
    }
    tz = timezone.get_current_timezone()
    by_month: dict[tuple[dt.date, str], dict[str, Any]] = {
        (r["month"], r["category"]): r
        for r in qs.annotate(month=TruncMonth("created_at", tzinfo=tz, output_field=DateField()))
        .values("month", "category")
        .annotate(n=Count("id"), resolved=Count("id", filter=Q(status__in=RESOLVED)))
    }
    categories = FeedbackCategory.choices
    total_n = sum(r["n"] for r in by_category.values())
    total_resolved = sum(r["resolved"] for r in by_category.values())
    category_rows = []
    for code, label in categories:
        r = by_category.get(code, {"n": 0, "resolved": 0, "took": None})
        category_rows.append(
            [label, r["n"], r["n"] - r["resolved"], r["resolved"], _days(r["took"])]
        )
    overall = qs.aggregate(took=Avg(took, filter=Q(status__in=RESOLVED)))["took"]
    category_rows.append(
        [_("Total"), total_n, total_n - total_resolved, total_resolved, _days(overall)]
    )
    month_rows = []
    for month in month_starts(filters.as_of):
        cells = [by_month.get((month, code), {"n": 0, "resolved": 0}) for code, _l in categories]
        n = sum(c["n"] for c in cells)
        resolved = sum(c["resolved"] for c in cells)
        month_rows.append(
            [month.strftime("%Y-%m"), *[c["n"] for c in cells], n, n - resolved, resolved]
        )
    return [
        Table(
            "feedback",
            _("Feedback by category"),
            [
                Column(_("Category")),
                Column(pgettext_lazy("feedback items", "Received")),
                Column(pgettext_lazy("feedback items", "Open")),
                Column(pgettext_lazy("feedback items", "Resolved")),
                Column(_("Average days to resolve")),
            ],
            category_rows,
        ),
        Table(
            "feedback_months",
            _("Feedback by month"),
            [
                Column(_("Month")),
                *[Column(label) for _code, label in categories],
                Column(_("Total")),
                Column(pgettext_lazy("feedback items", "Open")),
                Column(pgettext_lazy("feedback items", "Resolved")),
            ],
            month_rows,
        ),
    ]
