"""Dates on pages and in e-mails are written the reader's way ("17 Dec 2026", "2026年12月17日"),
like the rest of the page; ISO stays only where it is a machine format (form values, CSV, the
PDFs that must come out byte-identical when made again)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

ROOT = Path(settings.BASE_DIR)

# Where ISO is the point: PDFs re-rendered byte for byte (core.document_files), the
# developer mailbox (seconds matter there), and hidden form values read back by the server.
MACHINE_FORMAT_TEMPLATES = {
    "core/templates/core/mailbox.html",
    "core/templates/core/mailbox_message.html",
    "lifecycle/templates/lifecycle/evidence/evidence_pdf.html",
}
# Pages another change rewrites at the same time (their dates are not this test's business).
OTHER_OWNER_TEMPLATES = {
    "contracts/templates/contracts/contract_detail.html",
    "portal/templates/portal/contract_detail.html",
    "portal/templates/portal/dashboard.html",
}
ISO_FILTER = re.compile(r"""\|date:["']Y-m-d""")


def _display_templates() -> list[Path]:
    found = []
    for path in ROOT.rglob("*templates/**/*"):
        rel = path.relative_to(ROOT).as_posix()
        if ".venv" in path.parts or "node_modules" in path.parts or not path.is_file():
            continue
        if rel.startswith("templates/pdf/") or "/templates/renewals/portal/" in rel:
            continue
        if rel in MACHINE_FORMAT_TEMPLATES or rel in OTHER_OWNER_TEMPLATES:
            continue
        if path.suffix in {".html", ".txt"}:
            found.append(path)
    return found


def test_it_writes_no_iso_dates_in_display_templates() -> None:
    offenders = []
    for path in _display_templates():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for match in ISO_FILTER.finditer(line):
                # A hidden form value goes back to the server: ISO is its format.
                if 'type="hidden"' in line[: match.start()].rsplit("<", 1)[-1]:
                    continue
                offenders.append(f"{path.relative_to(ROOT)}:{number}")
    assert offenders == []


def _settlement() -> SimpleNamespace:
    zero = Decimal("0.00")
    return SimpleNamespace(
        effective_date=date(2026, 12, 11),
        last_service_day=date(2026, 12, 10),
        currency="CNY",
        remaining_value=Decimal("24.91"),
        paid=Decimal("1299.00"),
        fee=zero,
        refund=Decimal("24.91"),
        fee_to_invoice=zero,
        owed_for_used_service=zero,
        unused_value=zero,
        credit=zero,
    )


def test_it_shows_the_cancellation_numbers_dates_in_english_format() -> None:
    with translation.override("en"):
        html = render_to_string("retention/_numbers.html", {"s": _settlement()})
    assert "11 Dec 2026" in html
    assert "10 Dec 2026" in html
    assert "2026-12-11" not in html


def test_it_shows_the_cancellation_numbers_dates_in_chinese_format() -> None:
    with translation.override("zh-hans"):
        html = render_to_string("retention/_numbers.html", {"s": _settlement()})
    assert "2026年12月11日" in html
    assert "2026-12-11" not in html


def _diff() -> dict[str, object]:
    return {
        "lines": [],
        "old_start": date(2025, 12, 17),
        "old_end": date(2026, 12, 16),
        "new_start": date(2026, 12, 17),
        "new_end": date(2027, 12, 16),
        "old_term_months": 12,
        "new_term_months": 12,
        "term_change_months": 0,
        "old_total": Decimal("100.00"),
        "new_total": Decimal("100.00"),
        "total_change": Decimal("0.00"),
        "total_change_percent": None,
    }


def test_it_shows_the_quote_term_in_the_readers_format_on_pages() -> None:
    with translation.override("en"):
        english = render_to_string("renewals/_diff_table.html", {"diff": _diff()})
    with translation.override("zh-hans"):
        chinese = render_to_string("renewals/_diff_table.html", {"diff": _diff()})
    assert "17 Dec 2025 – 16 Dec 2026" in english
    assert "2025年12月17日 – 2026年12月16日" in chinese


def test_it_keeps_iso_dates_in_the_quote_pdf_table() -> None:
    # The quote PDF includes the same table; a stored quote is served again only if the
    # new rendering is byte-identical, so its dates stay as they were issued.
    with translation.override("en"):
        html = render_to_string(
            "renewals/_diff_table.html", {"diff": _diff(), "PDF_FONT_STACK": "serif"}
        )
    assert "2025-12-17 – 2026-12-16" in html
    assert "Dec" not in html
