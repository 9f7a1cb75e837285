"""The quote's differences table names each figure's column on the cell for the portal's
stacked phone layout; the quote PDF includes the same table and stays as issued."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import translation

DIFF = {
    "lines": [
        {
            "status": "changed",
            "description": "Team plan",
            "old_quantity": Decimal("12"),
            "new_quantity": Decimal("12"),
            "old_unit_price": Decimal("10800.00"),
            "new_unit_price": Decimal("11880.00"),
            "unit_change_percent": Decimal("10.0"),
            "old_amount": Decimal("129600.00"),
            "new_amount": Decimal("142560.00"),
            "change_amount": Decimal("12960.00"),
            "change_percent": Decimal("10.0"),
        }
    ],
    "old_start": date(2025, 12, 17),
    "old_end": date(2026, 12, 16),
    "new_start": date(2026, 12, 17),
    "new_end": date(2027, 12, 16),
    "old_total": Decimal("129600.00"),
    "new_total": Decimal("142560.00"),
    "total_change": Decimal("12960.00"),
    "total_change_percent": Decimal("10.0"),
}


def test_each_figure_on_a_page_carries_its_column_name_in_the_readers_language() -> None:
    with translation.override("en"):
        english = render_to_string("renewals/_diff_table.html", {"diff": DIFF})
    with translation.override("zh-hans"):
        chinese = render_to_string("renewals/_diff_table.html", {"diff": DIFF})

    assert 'data-label="Unit price now → new"' in english
    assert 'data-label="Amount now → new"' in english
    assert english.count("data-label=") == 6  # four line figures, two totals
    assert "data-label=" in chinese and 'data-label="Amount now → new"' not in chinese


def test_the_pdf_table_has_no_labels() -> None:
    with translation.override("en"):
        html = render_to_string(
            "renewals/_diff_table.html", {"diff": DIFF, "PDF_FONT_STACK": "serif"}
        )
    assert "data-label" not in html
