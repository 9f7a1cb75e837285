"""Contracts CSV import (docs/product.md §11): validate every row, then all or nothing.

Format: ``number,customer_code,plan_code,start_date,end_date,amount,currency,
billing_period,auto_renew,notice_period_days``. Each row becomes a contract through
``contracts.import_rows.contract_import``, which derives the status from the dates.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.csv_import import (
    CsvFileError,
    CsvRow,
    ImportReport,
    ProgressCallback,
    csv_read,
    existing_values,
    parse_amount,
    parse_bool,
    parse_choice,
    parse_currency,
    parse_date,
    parse_int,
    report_progress,
    rows_counted,
)
from core.errors import DomainError
from core.models import Sequence
from customers.models import Customer

from .auto_renew_consent import auto_renew_event_new
from .import_rows import (
    ImportSpec,
    contract_import,
    contract_import_rows,
    import_consent_new,
    import_keeps_auto_renew,
)
from .models import AutoRenewConsent, BillingPeriod, Contract, ContractEvent, ContractLine, Plan
from .services import contract_dates_validate

CONTRACT_COLUMNS = (
    "number",
    "customer_code",
    "plan_code",
    "start_date",
    "end_date",
    "amount",
    "currency",
    "billing_period",
    "auto_renew",
    "notice_period_days",
)

# From this many rows on, the rows are written in bulk (same rows as contract_import).
BULK_FROM = 1000
BULK_BATCH = 1000

NUMBER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9./_-]*$")
MAX_NOTICE_DAYS = 365


@dataclass(frozen=True)
class ContractRow:
    line: int
    spec: ImportSpec


def _lookup(model: Any, field_name: str, values: set[str]) -> dict[str, Any]:
    wanted = sorted(v for v in values if v)
    found: dict[str, Any] = {}
    for start in range(0, len(wanted), 1000):
        chunk = wanted[start : start + 1000]
        qs = model.objects.filter(**{f"{field_name}__in": chunk})
        if model is Customer:
            qs = qs.select_related("account_manager")
        found.update({getattr(obj, field_name): obj for obj in qs})
    return found


def _validate_row(
    row: CsvRow,
    report: ImportReport,
    *,
    customers: dict[str, Customer],
    plans: dict[str, Plan],
    seen_numbers: dict[str, int],
    existing_numbers: set[str],
) -> ContractRow | None:
    v = row.values
    line = row.line
    before = len(report.errors)

    number = v["number"]
    if not number:
        report.add(line, _("A contract number is required."), "number")
    elif len(number) > 32 or not NUMBER_RE.match(number):
        report.add(
            line,
            _("“%(number)s” is not a valid contract number (letters, digits, . / _ -, at most 32).")
            % {"number": number},
            "number",
        )
    elif number in seen_numbers:
        report.add(
            line,
            _("The number “%(number)s” appears twice in the file (first on line %(first)d).")
            % {"number": number, "first": seen_numbers[number]},
            "number",
        )
    elif number in existing_numbers:
        report.add(
            line, _("A contract numbered “%(number)s” exists.") % {"number": number}, "number"
        )
    if number:
        seen_numbers.setdefault(number, line)

    customer = customers.get(v["customer_code"])
    if not v["customer_code"]:
        report.add(line, _("A customer code is required."), "customer_code")
    elif customer is None:
        report.add(
            line,
            _("No customer has the code “%(code)s”.") % {"code": v["customer_code"]},
            "customer_code",
        )

    plan = None
    if v["plan_code"]:
        plan = plans.get(v["plan_code"])
        if plan is None:
            report.add(
                line, _("No plan has the code “%(code)s”.") % {"code": v["plan_code"]}, "plan_code"
            )

    parsed: dict[str, Any] = {}
    parsers: list[tuple[str, Any]] = [
        ("start_date", parse_date),
        ("end_date", parse_date),
        ("amount", parse_amount),
        ("currency", parse_currency),
        ("billing_period", lambda s: parse_choice(s, choices=BillingPeriod.values)),
        ("auto_renew", parse_bool),
        (
            "notice_period_days",
            lambda s: parse_int(s, minimum=0, maximum=MAX_NOTICE_DAYS),
        ),
    ]
    for column, parse in parsers:
        if not v[column]:
            report.add(line, _("A value is required."), column)
            continue
        try:
            parsed[column] = parse(v[column])
        except ValueError as exc:
            report.add(line, str(exc), column)

    start, end = parsed.get("start_date"), parsed.get("end_date")
    if start and end:
        try:
            contract_dates_validate(start, end)  # as every contract's dates
        except DomainError as exc:
            report.add(line, exc.message, "end_date")

    if len(report.errors) > before or customer is None:
        return None
    return ContractRow(
        line=line,
        spec=ImportSpec(
            number=number,
            customer=customer,
            plan=plan,
            start_date=parsed["start_date"],
            end_date=parsed["end_date"],
            amount=parsed["amount"],
            currency=parsed["currency"],
            billing_period=parsed["billing_period"],
            auto_renew=parsed["auto_renew"],
            notice_period_days=parsed["notice_period_days"],
        ),
    )


def _write_in_bulk(
    rows: list[ContractRow], *, by: Any, today: dt.date, progress: ProgressCallback | None
) -> None:
    """Write what contract_import writes for each row (the rows of
    ``contract_import_rows``, and the import consent with its event when auto-renew is
    on) with bulk INSERTs. tests/contracts/test_import_contracts.py checks both give the
    same rows."""
    for start in range(0, len(rows), BULK_BATCH):
        chunk = rows[start : start + BULK_BATCH]
        contracts: list[Contract] = []
        lines: list[ContractLine] = []
        events: list[ContractEvent] = []
        for item in chunk:
            contract, contract_lines, event = contract_import_rows(item.spec, today=today, by=by)
            contract.auto_renew = import_keeps_auto_renew(item.spec, today)
            contracts.append(contract)
            lines.extend(contract_lines)
            events.append(event)
        # The lines and events take their contract's new id as they are inserted.
        Contract.objects.bulk_create(contracts)
        ContractLine.objects.bulk_create(lines)
        ContractEvent.objects.bulk_create(events)
        renewing = [c for c in contracts if c.auto_renew]
        consents = AutoRenewConsent.objects.bulk_create(
            [import_consent_new(contract=c, by=by) for c in renewing]
        )
        ContractEvent.objects.bulk_create(
            [
                auto_renew_event_new(contract=c, consent=consent, previous=False, by=by)
                for c, consent in zip(renewing, consents, strict=True)
            ]
        )
        report_progress(progress, "write", start + len(chunk), len(rows))


def _advance_number_sequences(numbers: list[str]) -> None:
    """Imported numbers in our own format (HT-2026-000123) must never be handed out again
    by contract_number_next: move each year's counter past the highest one imported."""
    prefix = settings.RENEWDESK["CONTRACT_NUMBER_PREFIX"]
    pattern = re.compile(rf"^{re.escape(prefix)}-(\d{{4}})-(\d+)$")
    highest: dict[int, int] = {}
    for number in numbers:
        match = pattern.match(number)
        if match:
            year, n = int(match.group(1)), int(match.group(2))
            highest[year] = max(highest.get(year, 0), n)
    for year, n in sorted(highest.items()):
        seq, _created = Sequence.objects.select_for_update().get_or_create(name=f"contract-{year}")
        if seq.last_value < n:
            seq.last_value = n
            seq.save(update_fields=["last_value"])


def contracts_import_csv(
    *,
    source: bytes | IO[bytes] | IO[str] | str,
    by: Any = None,
    dry_run: bool = False,
    today: dt.date | None = None,
    progress: ProgressCallback | None = None,
    bulk: bool | None = None,
) -> ImportReport:
    """Validate the whole file; when every row is good (and not a dry run) create every
    contract in one transaction. Any failure writes nothing.

    The status comes from the dates relative to ``today`` (default: today in the business
    time zone): ended terms are expired, current ones active, future ones scheduled.

    Rows are written by contracts.import_rows.contract_import, or, for big files (``bulk``
    None: from BULK_FROM rows on), as the same rows in a few bulk INSERTs.
    """
    today = today or timezone.localdate()
    report = ImportReport(kind="contracts", dry_run=dry_run)
    try:
        rows, structural = csv_read(source, columns=CONTRACT_COLUMNS)
    except CsvFileError as exc:
        report.errors.extend(exc.errors)
        return report
    report.errors.extend(structural)
    report.rows = rows_counted(rows, structural)
    if report.rows == 0:
        report.add(None, _("The file has no data rows."))
        return report

    customers = _lookup(Customer, "code", {r.values["customer_code"] for r in rows})
    plans = _lookup(Plan, "code", {r.values["plan_code"] for r in rows})
    existing = existing_values(Contract, "number", [r.values["number"] for r in rows])

    good: list[ContractRow] = []
    seen: dict[str, int] = {}
    for i, row in enumerate(rows, start=1):
        parsed = _validate_row(
            row,
            report,
            customers=customers,
            plans=plans,
            seen_numbers=seen,
            existing_numbers=existing,
        )
        if parsed:
            good.append(parsed)
        report_progress(progress, "validate", i, len(rows))
    report.errors.sort(key=lambda e: e.line or 0)
    if not report.ok or dry_run:
        return report

    use_bulk = len(good) >= BULK_FROM if bulk is None else bulk
    current: ContractRow | None = None
    try:
        with transaction.atomic():
            if use_bulk:
                _write_in_bulk(good, by=by, today=today, progress=progress)
            else:
                for i, item in enumerate(good, start=1):
                    current = item
                    contract_import(spec=item.spec, today=today, by=by)
                    report_progress(progress, "write", i, len(good))
                current = None
            _advance_number_sequences([item.spec.number for item in good])
    except (DomainError, IntegrityError) as exc:
        # A concurrent change (e.g. the same number created meanwhile): nothing was kept.
        message = exc.message if isinstance(exc, DomainError) else _("A database rule refused it.")
        report.add(current.line if current else None, message)
        return report
    report.created = len(good)
    return report
