"""Customers CSV import (docs/product.md §11): validate every row, then all or nothing.

Format: ``code,name,kind,contact_name,email,phone,language,account_manager``, plus the
optional columns ``country`` (ISO 3166-1, empty: the default country) and ``region``
(ISO 3166-2, e.g. US-CA; may be empty). A file without them is read as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.csv_import import (
    CsvFileError,
    CsvRow,
    ImportReport,
    ProgressCallback,
    csv_read,
    existing_values,
    parse_choice,
    report_progress,
    rows_counted,
)
from core.errors import DomainError

from .country_codes import (
    country_of_region,
    default_country,
    normalise_code,
    validate_country_code,
    validate_region_code,
    validate_region_in_country,
)
from .models import Customer, CustomerKind
from .services import customer_create

CUSTOMER_COLUMNS = (
    "code",
    "name",
    "kind",
    "contact_name",
    "email",
    "phone",
    "language",
    "account_manager",
)
# Added later: a file may leave them out (docs/product.md §11 keeps the older format valid).
CUSTOMER_OPTIONAL_COLUMNS = ("country", "region")

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
PHONE_RE = re.compile(r"^\+?[0-9 ()\-]{3,40}$")


@dataclass(frozen=True)
class CustomerRow:
    line: int
    code: str
    name: str
    kind: str
    contact_name: str
    email: str
    phone: str
    language: str
    account_manager: Any
    country: str
    region: str


def _validate_row(
    row: CsvRow,
    report: ImportReport,
    *,
    managers: dict[str, Any],
    seen_codes: dict[str, int],
    existing_codes: set[str],
) -> CustomerRow | None:
    v = row.values
    line = row.line
    before = len(report.errors)

    code = v["code"]
    if not code:
        report.add(line, _("A code is required."), "code")
    elif len(code) > 32 or not CODE_RE.match(code):
        report.add(
            line,
            _("“%(code)s” is not a valid code (letters, digits, . _ -, at most 32).")
            % {"code": code},
            "code",
        )
    elif code in seen_codes:
        report.add(
            line,
            _("The code “%(code)s” appears twice in the file (first on line %(first)d).")
            % {"code": code, "first": seen_codes[code]},
            "code",
        )
    elif code in existing_codes:
        report.add(line, _("A customer with the code “%(code)s” exists.") % {"code": code}, "code")
    if code:
        seen_codes.setdefault(code, line)

    name = v["name"]
    if not name:
        report.add(line, _("A name is required."), "name")
    elif len(name) > 200:
        report.add(line, _("The name is longer than 200 characters."), "name")

    kind = ""
    try:
        kind = parse_choice(v["kind"], choices=CustomerKind.values)
    except ValueError as exc:
        report.add(line, str(exc), "kind")

    contact_name = v["contact_name"]
    if len(contact_name) > 200:
        report.add(line, _("The contact name is longer than 200 characters."), "contact_name")

    email = v["email"]
    if email:
        try:
            validate_email(email)
        except ValidationError:
            report.add(line, _("“%(email)s” is not an email address.") % {"email": email}, "email")

    phone = v["phone"]
    if phone and not PHONE_RE.match(phone):
        report.add(line, _("“%(phone)s” is not a phone number.") % {"phone": phone}, "phone")

    language = ""
    try:
        language = parse_choice(v["language"], choices=[code for code, _n in settings.LANGUAGES])
    except ValueError as exc:
        report.add(line, str(exc), "language")

    manager = None
    username = v["account_manager"]
    if username:
        manager = managers.get(username)
        if manager is None:
            report.add(
                line,
                _("“%(username)s” is not an active staff user.") % {"username": username},
                "account_manager",
            )

    country, region = _jurisdiction(v, line, report)

    if len(report.errors) > before:
        return None
    return CustomerRow(
        line=line,
        code=code,
        name=name,
        kind=kind,
        contact_name=contact_name,
        email=email,
        phone=phone,
        language=language,
        account_manager=manager,
        country=country,
        region=region,
    )


def _jurisdiction(v: dict[str, str], line: int, report: ImportReport) -> tuple[str, str]:
    """The country (empty: the region's, else the default country) and region of a row,
    each reported on its own column when it is not a known code or the region is not in
    the country."""
    region = normalise_code(v["region"])
    # No country but a region: the region's country (US-CA → US), else the default.
    country = normalise_code(v["country"]) or (
        country_of_region(region) if region else default_country()
    )
    problems = 0
    for column, value, check in (
        ("country", country, validate_country_code),
        ("region", region, validate_region_code),
    ):
        try:
            check(value)
        except ValidationError as exc:
            report.add(line, " ".join(exc.messages), column)
            problems += 1
    if not problems:
        try:
            validate_region_in_country(country, region)
        except ValidationError as exc:
            report.add(line, " ".join(exc.messages), "region")
    return country, region


def customers_import_csv(
    *,
    source: bytes | IO[bytes] | IO[str] | str,
    by: Any = None,
    dry_run: bool = False,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Validate the whole file; when every row is good (and not a dry run) create every
    customer in one transaction. Any failure writes nothing."""
    report = ImportReport(kind="customers", dry_run=dry_run)
    try:
        rows, structural = csv_read(
            source, columns=CUSTOMER_COLUMNS, optional=CUSTOMER_OPTIONAL_COLUMNS
        )
    except CsvFileError as exc:
        report.errors.extend(exc.errors)
        return report
    report.errors.extend(structural)
    report.rows = rows_counted(rows, structural)
    if report.rows == 0:
        report.add(None, _("The file has no data rows."))
        return report

    # Everything a row can refer to is loaded once, not per row.
    usernames = {r.values["account_manager"] for r in rows if r.values["account_manager"]}
    managers = {
        u.username: u
        for u in get_user_model().objects.filter(
            username__in=usernames, is_staff=True, is_active=True
        )
    }
    existing = existing_values(Customer, "code", [r.values["code"] for r in rows])

    good: list[CustomerRow] = []
    seen: dict[str, int] = {}
    for i, row in enumerate(rows, start=1):
        parsed = _validate_row(
            row, report, managers=managers, seen_codes=seen, existing_codes=existing
        )
        if parsed:
            good.append(parsed)
        report_progress(progress, "validate", i, len(rows))
    report.errors.sort(key=lambda e: e.line or 0)
    if not report.ok or dry_run:
        return report

    current: CustomerRow | None = None
    try:
        with transaction.atomic():
            for i, item in enumerate(good, start=1):
                current = item
                customer_create(
                    by=by,
                    contact={
                        "name": item.contact_name,
                        "email": item.email,
                        "phone": item.phone,
                    },
                    code=item.code,
                    name=item.name,
                    kind=item.kind,
                    language=item.language,
                    account_manager=item.account_manager,
                    country=item.country,
                    region=item.region,
                )
                report_progress(progress, "write", i, len(good))
    except (DomainError, IntegrityError) as exc:
        # Someone created the same code between validation and writing: nothing was kept.
        message = exc.message if isinstance(exc, DomainError) else _("A database rule refused it.")
        report.add(current.line if current else None, message)
        return report
    report.created = len(good)
    return report
