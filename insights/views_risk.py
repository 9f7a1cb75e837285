"""The at-risk list: active contracts ending within 120 days, by value at risk."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from core.auth import staff_required
from core.csv_export import csv_currencies, csv_response, money_cells
from core.money import MoneyTotals

from . import propensity as p
from .export_values import value_at_risk_in_currency
from .forms import DashboardFilterForm
from .models import ContractScore
from .scoring import at_risk_list


def _factor_labels(score: ContractScore) -> list[dict[str, Any]]:
    return [
        {**f, "label": str(p.FEATURE_LABELS.get(f["feature"], f["feature"]))}
        for f in score.factors or []
    ]


@staff_required
def at_risk(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    form = DashboardFilterForm(request.GET or None, user=request.user)
    qs = at_risk_list(user=request.user, filters=form.to_filters(), today=today)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    for score in page.object_list:
        score.factor_list = _factor_labels(score)
        score.value_at_risk_shown = value_at_risk_in_currency(score)
    model = p.current_model()
    return render(
        request,
        "insights/at_risk.html",
        {
            "form": form,
            "page_obj": page,
            "model": model,
            "uses_model": model is not None
            and model.training_rows + model.holdout_rows >= p.min_history(),
            "min_history": p.min_history(),
            "horizon": p.HORIZON_DAYS,
            "query": request.GET.urlencode(),
        },
    )


@staff_required
def at_risk_export(request: HttpRequest) -> HttpResponse:
    form = DashboardFilterForm(request.GET or None, user=request.user)
    qs = at_risk_list(user=request.user, filters=form.to_filters(), today=timezone.localdate())
    # Money columns, one per currency: a column sum never adds USD to CNY.
    currencies = csv_currencies(
        qs.order_by().values_list("contract__currency", flat=True).distinct()
    )

    def rows():
        for s in qs.iterator(chunk_size=2000):
            c = s.contract
            yield [
                c.number,
                c.customer.code,
                c.customer.name,
                c.end_date,
                *money_cells(MoneyTotals.of([(c.currency, c.annual_value)]), currencies),
                c.currency,
                s.score,
                *money_cells(
                    MoneyTotals.of([(c.currency, value_at_risk_in_currency(s))]), currencies
                ),
                "; ".join(f"{f['label']} {f['effect']:+}" for f in _factor_labels(s)),
                s.get_method_display(),
            ]

    return csv_response(
        filename=f"at-risk-{timezone.localdate():%Y%m%d}.csv",
        header=[
            _("Contract"),
            _("Customer code"),
            _("Customer"),
            _("End date"),
            *[_("Annualised value (%(currency)s)") % {"currency": c} for c in currencies],
            _("Currency"),
            _("Renewal propensity"),
            *[_("Value at risk (%(currency)s)") % {"currency": c} for c in currencies],
            _("Top factors"),
            _("Method"),
        ],
        rows=rows(),
    )
