"""CSV downloads that are safe to open in a spreadsheet.

A cell that starts with ``= + - @`` (or a tab / carriage return) is read by Excel and
LibreOffice as a formula, so a customer-controlled value such as ``=HYPERLINK(...)`` in a
name could run when an operator opens the export. Such text cells get a leading quote.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils import timezone

from core.money import MoneyTotals, default_currency

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe_cell(value: Any) -> str | int | Decimal:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        # Numbers are written as numbers: a negative amount is not a formula.
        return value
    if isinstance(value, dt.datetime):
        return (
            timezone.localtime(value).isoformat() if timezone.is_aware(value) else value.isoformat()
        )
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def csv_response(
    *, filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> HttpResponse:
    """A UTF-8 (with BOM, so that Excel shows Chinese correctly) CSV attachment."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([csv_safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([csv_safe_cell(v) for v in row])
    return response


# --- money columns ---------------------------------------------------------------------
# A spreadsheet sums a column: a money column holds one currency only. A money figure is
# exported as one column per currency ("Annualised value (CNY)", "Annualised value (USD)")
# of plain decimals, a row filling the columns of the currencies it has and leaving the
# others blank.


def csv_currencies(found: Iterable[str | None]) -> list[str]:
    """The currencies to give a money figure a column each: those found, sorted; the
    default currency when there are none (an empty export still has its columns)."""
    codes = sorted({code.upper() for code in found if code})
    return codes or [default_currency()]


def money_cells(totals: MoneyTotals, currencies: Sequence[str]) -> list[Decimal | str]:
    """``totals`` spread over one cell per currency of ``currencies`` (blank where none)."""
    return [totals.amounts.get(code, "") for code in currencies]
