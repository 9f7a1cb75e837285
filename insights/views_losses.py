"""Why we lose renewals: the staff analysis page and its CSV exports (the same tables).

Query parameters: ``as_of`` (YYYY-MM-DD, default today: the twelve months ending with its
month), ``source`` (``renewal``, ``cancellation`` or empty for both), ``tier`` and, for
team leads, ``manager``. A bad value is named in a message and left out; it never fails.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.auth import staff_required
from core.csv_export import csv_currencies, csv_response, money_cells
from core.money import MoneyTotals
from core.widgets import FastSelect
from customers.forms import ManagerFilterMixin, StaffUserChoiceField, staff_users
from customers.models import Tier

from .feedback_summary import feedback_tables
from .loss_reasons import (
    SOURCES,
    LossFilters,
    Table,
    loss_facts,
    loss_tables,
    month_starts,
    propensity_factors,
)

EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2100, 12, 31)


class LossFilterForm(ManagerFilterMixin, forms.Form):
    as_of = forms.DateField(
        label=gettext_lazy("Up to"),
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
        error_messages={"invalid": gettext_lazy("Enter the date as YYYY-MM-DD.")},
    )
    source = forms.ChoiceField(
        label=gettext_lazy("Losses"),
        required=False,
        choices=[("", gettext_lazy("Lost renewals and cancellations")), *SOURCES.items()],
        widget=FastSelect(attrs={"class": "form-select"}),
    )
    tier = forms.ChoiceField(
        label=gettext_lazy("Tier"),
        required=False,
        choices=[("", gettext_lazy("All tiers")), *Tier.choices],
        widget=FastSelect(attrs={"class": "form-select"}),
    )
    manager = StaffUserChoiceField(
        label=gettext_lazy("Account manager"),
        required=False,
        queryset=staff_users(),
        empty_label=gettext_lazy("All managers"),
        widget=FastSelect(attrs={"class": "form-select"}),
    )

    def clean_as_of(self) -> dt.date | None:
        day = self.cleaned_data.get("as_of")
        if day is not None and not EARLIEST <= day <= LATEST:
            raise forms.ValidationError(
                _("Choose a date from %(first)s to %(last)s.")
                % {"first": EARLIEST.isoformat(), "last": LATEST.isoformat()}
            )
        return day

    def to_filters(self, *, today: dt.date) -> LossFilters:
        """The valid filters; an invalid one is left out (its error stays on the form)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        manager = data.get("manager")
        return LossFilters(
            as_of=data.get("as_of") or today,
            source=data.get("source") or "",
            manager_id=manager.pk if manager else None,
            tier=data.get("tier") or "",
        )

    def problems(self) -> list[str]:
        return [
            f"{self.fields[name].label}: {' '.join(str(e) for e in errs)}"
            for name, errs in self.errors.items()
        ]


def _build(request: HttpRequest) -> tuple[LossFilterForm, LossFilters, list[Table]]:
    form = LossFilterForm(request.GET or None, user=request.user)
    filters = form.to_filters(today=timezone.localdate())
    tables = [
        *loss_tables(loss_facts(user=request.user, filters=filters), as_of=filters.as_of),
        propensity_factors(user=request.user, filters=filters),
        *feedback_tables(user=request.user, filters=filters),
    ]
    return form, filters, tables


@staff_required
def losses(request: HttpRequest) -> HttpResponse:
    form, filters, tables = _build(request)
    months = month_starts(filters.as_of)
    return render(
        request,
        "insights/losses.html",
        {
            "form": form,
            "problems": form.problems(),
            "filters": filters,
            "tables": {t.key: t for t in tables},
            "first_month": months[0],
            "last_month": months[-1],
            "query": request.GET.urlencode(),
        },
        status=400 if form.errors else 200,
    )


def csv_table(table: Table) -> tuple[list[str], list[list[Any]]]:
    """The table with each money column spread over one column per currency."""
    money = [i for i, c in enumerate(table.columns) if c.money]
    currencies = csv_currencies(
        code for row in table.rows for i in money for code in row[i].currencies
    )
    header: list[str] = []
    for column in table.columns:
        if column.money:
            header += [f"{column.label} ({code})" for code in currencies]
        else:
            header.append(str(column.label))
    rows = []
    for row in table.rows:
        out: list[Any] = []
        for i, cell in enumerate(row):
            if i in money:
                out += money_cells(
                    cell if isinstance(cell, MoneyTotals) else MoneyTotals(), currencies
                )
            else:
                out.append(cell)
        rows.append(out)
    return header, rows


@staff_required
def losses_export(request: HttpRequest, table: str) -> HttpResponse:
    """One table of the page as CSV (cells escaped against formula injection)."""
    form, filters, tables = _build(request)
    found = {t.key: t for t in tables}
    if table not in found:
        raise Http404
    if form.errors:
        return HttpResponse(
            "\n".join(form.problems()), status=400, content_type="text/plain; charset=utf-8"
        )
    header, rows = csv_table(found[table])
    return csv_response(
        filename=f"losses-{table}-{filters.as_of:%Y%m%d}.csv", header=header, rows=rows
    )
