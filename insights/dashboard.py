"""Turns the dashboard selectors into what the page and the CSV exports show: tables
with a link to the contracts behind each figure, and the data the charts draw."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from contracts.models import ContractStatus
from core.csv_export import csv_currencies, money_cells

from .monthly_figures import MonthFigures, cancellation_reasons, monthly_figures, totals
from .selectors import (
    EXPIRY_WINDOWS,
    DashboardFilters,
    ExpiryRow,
    dashboard_contracts,
    fx_rates,
    upcoming_expirations,
)


@dataclass
class Cell:
    value: Any
    url: str = ""
    money: bool = False


def contracts_url(base: DashboardFilters, **params: Any) -> str:
    query = {**base.as_query(), **{k: str(v) for k, v in params.items() if v not in (None, "")}}
    return reverse("contracts:list") + "?" + urlencode(query)


def value_rates_note(period: MonthFigures) -> str:
    """What the rates by value (renewal rate by value, GRR, NRR) were computed in: which
    currencies were converted to the default one, and which were left out for want of an
    exchange rate. Empty when every term was in the default currency."""
    default = settings.RENEWDESK["DEFAULT_CURRENCY"]
    notes = []
    if period.converted:
        notes.append(
            _(
                "Rates by value: %(currencies)s converted to %(currency)s at the exchange "
                "rates of the tier settings."
            )
            % {"currencies": ", ".join(sorted(period.converted)), "currency": default}
        )
    if period.left_out:
        notes.append(
            _("Left out of the rates by value (no exchange rate): %(currencies)s.")
            % {"currencies": ", ".join(sorted(period.left_out))}
        )
    return " ".join(notes)


def csv_table(table: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """A dashboard table for a spreadsheet: a money column becomes one column per
    currency ("Value ≤ 30 days (CNY)", "… (USD)") of plain decimals, so that no cell
    and no column sum adds one currency to another (core.csv_export.money_cells)."""
    rows = table["rows"]
    currencies: dict[int, list[str]] = {}
    for i in range(len(table["header"])):
        cells = [row[i] for row in rows]
        if cells and all(cell.money for cell in cells):
            currencies[i] = csv_currencies(code for c in cells for code in c.value.currencies)
    header: list[str] = []
    for i, title in enumerate(table["header"]):
        if i in currencies:
            header += [
                _("%(column)s (%(currency)s)") % {"column": title, "currency": code}
                for code in currencies[i]
            ]
        else:
            header.append(str(title))
    out = []
    for row in rows:
        values: list[Any] = []
        for i, cell in enumerate(row):
            values += money_cells(cell.value, currencies[i]) if i in currencies else [cell.value]
        out.append(values)
    return header, out


def _pct(value: Decimal | None) -> str:
    return "–" if value is None else f"{value}%"


def expiry_tables(
    *, expirations: dict[str, list[ExpiryRow]], filters: DashboardFilters
) -> list[dict[str, Any]]:
    titles = {
        "total": _("All"),
        "tier": _("By tier"),
        "manager": _("By account manager"),
        "plan": _("By plan"),
    }
    link_param = {"tier": "tier", "manager": "manager", "plan": "plan"}
    tables = []
    for dim, rows in expirations.items():
        header = [_("Group")]
        for days in EXPIRY_WINDOWS:
            header += [
                _("Ending ≤ %(days)s days") % {"days": days},
                _("Value ≤ %(days)s days") % {"days": days},
            ]
        out_rows = []
        for row in rows:
            extra: dict[str, Any] = {}
            linkable = True
            if dim in link_param:
                if row.key in (None, ""):
                    linkable = False
                extra[link_param[dim]] = row.key
            cells = [Cell(row.label)]
            for days in EXPIRY_WINDOWS:
                url = (
                    contracts_url(filters, status="active", ending_within=days, **extra)
                    if linkable
                    else ""
                )
                cells += [Cell(row.counts[days], url), Cell(row.values[days], url, money=True)]
            out_rows.append(cells)
        tables.append({"key": dim, "title": titles[dim], "header": header, "rows": out_rows})
    return tables


def monthly_table(*, figures: list[MonthFigures], filters: DashboardFilters) -> dict[str, Any]:
    header = [
        _("Month"),
        _("Terms ended"),
        _("Renewed"),
        _("Not renewed"),
        _("Renewal rate (count)"),
        _("Renewal rate (value)"),
        _("GRR"),
        _("NRR"),
        _("In force at month start"),
        _("Churn rate"),
        _("Cancellation requests"),
        _("Offers shown"),
        _("Offers accepted"),
        _("Save rate"),
    ]
    rows = []
    for f in figures:
        period = {"ended_from": f.month.isoformat(), "ended_to": f.end.isoformat()}
        ended_url = contracts_url(filters, **period)
        renewed_url = contracts_url(filters, status="renewed", **period)
        cancel_url = contracts_url(
            filters, cancel_from=f.month.isoformat(), cancel_to=f.end.isoformat()
        )
        # The offer figures count requests by the day the offer was shown.
        offers_url = contracts_url(
            filters, offer="shown", cancel_from=f.month.isoformat(), cancel_to=f.end.isoformat()
        )
        accepted_url = contracts_url(
            filters,
            offer="accepted",
            cancel_from=f.month.isoformat(),
            cancel_to=f.end.isoformat(),
        )
        rows.append(
            [
                Cell(f.month.strftime("%Y-%m")),
                Cell(f.ended, ended_url),
                Cell(f.renewed, renewed_url),
                Cell(f.lost, ended_url),
                Cell(_pct(f.renewal_rate_count), ended_url),
                Cell(_pct(f.renewal_rate_value), ended_url),
                Cell(_pct(f.grr), renewed_url),
                Cell(_pct(f.nrr), renewed_url),
                Cell(f.in_force_at_start),
                Cell(_pct(f.churn_rate), ended_url),
                Cell(f.cancellations_total, cancel_url),
                Cell(f.offers_shown, offers_url),
                Cell(f.offers_accepted, accepted_url),
                Cell(_pct(f.save_rate), offers_url),
            ]
        )
    return {"key": "monthly", "title": _("By month"), "header": header, "rows": rows}


def reasons_table(*, figures: list[MonthFigures], filters: DashboardFilters) -> dict[str, Any]:
    reasons = cancellation_reasons()
    header = [_("Month"), *[label for _code, label in reasons]]
    rows = []
    for f in figures:
        row = [Cell(f.month.strftime("%Y-%m"))]
        for code, _label in reasons:
            row.append(
                Cell(
                    f.cancellations.get(code, 0),
                    contracts_url(
                        filters,
                        cancel_reason=code,
                        cancel_from=f.month.isoformat(),
                        cancel_to=f.end.isoformat(),
                    ),
                )
            )
        rows.append(row)
    return {
        "key": "reasons",
        "title": _("Cancellation requests by reason"),
        "header": header,
        "rows": rows,
    }


def _num(value: Decimal | None) -> float | None:
    # Chart.js needs JSON numbers; these are display-only percentages, never stored.
    return None if value is None else float(value)


def _mark_empty(spec: dict[str, Any]) -> dict[str, Any]:
    """A chart with nothing to draw says so instead of showing bare axes: a rate chart
    when no month has a rate (nothing to divide by), a count chart when every count is
    zero."""
    values = [v for ds in spec["datasets"] for v in ds["data"] if v is not None]
    spec["empty"] = not values if spec.get("percent") else not any(values)
    return spec


def chart_data(*, figures: list[MonthFigures], filters: DashboardFilters) -> dict[str, Any]:
    labels = [f.month.strftime("%Y-%m") for f in figures]
    ended_links = [
        contracts_url(filters, ended_from=f.month.isoformat(), ended_to=f.end.isoformat())
        for f in figures
    ]
    cancel_links = [
        contracts_url(filters, cancel_from=f.month.isoformat(), cancel_to=f.end.isoformat())
        for f in figures
    ]
    offer_links = [
        contracts_url(
            filters, offer="shown", cancel_from=f.month.isoformat(), cancel_to=f.end.isoformat()
        )
        for f in figures
    ]
    charts: dict[str, Any] = {
        "rates": {
            "type": "line",
            "labels": labels,
            "links": ended_links,
            "percent": True,
            "datasets": [
                {
                    "label": _("Renewal rate (count)"),
                    "data": [_num(f.renewal_rate_count) for f in figures],
                },
                {
                    "label": _("Renewal rate (value)"),
                    "data": [_num(f.renewal_rate_value) for f in figures],
                },
                {"label": _("GRR"), "data": [_num(f.grr) for f in figures]},
                {"label": _("NRR"), "data": [_num(f.nrr) for f in figures]},
                {"label": _("Churn rate"), "data": [_num(f.churn_rate) for f in figures]},
            ],
        },
        "cancellations": {
            "type": "bar",
            "stacked": True,
            "labels": labels,
            "links": cancel_links,
            "datasets": [
                {"label": label, "data": [f.cancellations.get(code, 0) for f in figures]}
                for code, label in cancellation_reasons()
            ],
        },
        # A line with points, not bars: a month whose offers were all declined (0 %) is a
        # point on the axis, where a bar of height 0 would not be seen.
        "save_rate": {
            "type": "line",
            "labels": labels,
            "links": offer_links,
            "percent": True,
            "datasets": [{"label": _("Save rate"), "data": [_num(f.save_rate) for f in figures]}],
        },
    }
    return {key: _mark_empty(spec) for key, spec in charts.items()}


def dashboard_build(*, user: Any, filters: DashboardFilters, today: dt.date) -> dict[str, Any]:
    contracts = dashboard_contracts(user=user, filters=filters)
    rates = fx_rates()
    expirations = upcoming_expirations(contracts=contracts, today=today, rates=rates)
    figures = monthly_figures(contracts=contracts, today=today, rates=rates)
    period = totals(figures)
    return {
        # Counted here, not in the view: over the whole book it is a scan of every active
        # contract (260 ms for 550,000 of them), so it is cached with the rest.
        "active_count": contracts.filter(status=ContractStatus.ACTIVE).count(),
        "expirations": expirations,
        "figures": figures,
        "period": period,
        "value_rates_note": value_rates_note(period),
        "expiry_tables": expiry_tables(expirations=expirations, filters=filters),
        "monthly_table": monthly_table(figures=figures, filters=filters),
        "reasons_table": reasons_table(figures=figures, filters=filters),
        "charts": chart_data(figures=figures, filters=filters),
    }


def _cache_key(*, user: Any, filters: DashboardFilters, today: dt.date) -> str:
    book = "all" if user.is_team_lead else f"user{user.pk}"
    return ":".join(
        [
            "insights:dashboard:v3",
            book,
            str(filters.manager_id or ""),
            filters.tier,
            str(filters.plan_id or ""),
            today.isoformat(),
            translation.get_language() or "",
        ]
    )


def dashboard_build_cached(
    *, user: Any, filters: DashboardFilters, today: dt.date
) -> dict[str, Any]:
    """``dashboard_build`` kept in the cache (Redis in production) for
    RENEWDESK["DASHBOARD_CACHE_SECONDS"]. Its monthly figures scan every contract of the
    book: seconds at 1,000,000 contracts (docs/performance.md). Figures a few minutes old
    are still right for what the dashboard shows (counts by window, rates by month). The
    key holds everything the result depends on: the book (all, or the manager's own),
    the filters, the day and the language of the labels. The whole book's unfiltered
    dashboard, the slowest, is kept warm by beat (``dashboard_warm``)."""
    seconds = settings.RENEWDESK.get("DASHBOARD_CACHE_SECONDS", 0)
    if not seconds:
        return dashboard_build(user=user, filters=filters, today=today)
    key = _cache_key(user=user, filters=filters, today=today)
    data = cache.get(key)
    if data is None:
        data = dashboard_build(user=user, filters=filters, today=today)
        cache.set(key, data, seconds)
    return data


def dashboard_warm(*, today: dt.date | None = None) -> list[str]:
    """Recompute the whole book's unfiltered dashboard in every language and store it,
    so that a team lead never waits for it (2.5 s at 1,000,000 contracts). Run by beat
    more often than DASHBOARD_CACHE_SECONDS; returns the languages refreshed."""
    from django.contrib.auth import get_user_model

    seconds = settings.RENEWDESK.get("DASHBOARD_CACHE_SECONDS", 0)
    if not seconds:
        return []
    # Any team lead: they all see the same whole book. The permission lives with the
    # model backend; with_perm must be told which one since the login throttle's
    # backend came first in AUTHENTICATION_BACKENDS.
    lead = (
        get_user_model()
        .objects.with_perm(
            "core.view_all_books", backend="django.contrib.auth.backends.ModelBackend"
        )
        .filter(is_staff=True)
        .order_by("pk")
        .first()
    )
    if lead is None:
        return []
    today = today or timezone.localdate()
    done = []
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            filters = DashboardFilters()
            data = dashboard_build(user=lead, filters=filters, today=today)
            cache.set(_cache_key(user=lead, filters=filters, today=today), data, seconds)
            done.append(language)
    return done
