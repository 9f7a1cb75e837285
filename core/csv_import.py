"""Shared machinery for the CSV imports (docs/product.md §11).

The importers in customers/importers.py and contracts/importers.py read a file with
``csv_read``, validate every row without writing anything, and only when no row is bad
write them all in one transaction. The management commands and the staff upload page
both call them and show the same ``ImportReport``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.utils.translation import gettext as _

# Called as progress(phase, done, total) while a file is validated ("validate") and
# written ("write"); the upload page's background task stores it for its progress bar.
ProgressCallback = Callable[[str, int, int], None]

PROGRESS_EVERY = 500

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# PostgreSQL refuses the NUL character in text: a value holding one is refused up front.
NUL = "\x00"


@dataclass(frozen=True)
class RowError:
    """One problem: ``line`` is the physical line in the file (the header is line 1),
    ``None`` for a problem with the whole file."""

    line: int | None
    message: str
    column: str = ""

    def __str__(self) -> str:
        where = _("line %(line)s") % {"line": self.line} if self.line else _("file")
        if self.column:
            return f"{where}, {self.column}: {self.message}"
        return f"{where}: {self.message}"


@dataclass
class ImportReport:
    kind: str
    dry_run: bool
    rows: int = 0
    created: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def bad_lines(self) -> list[int]:
        return sorted({e.line for e in self.errors if e.line})

    def add(self, line: int | None, message: str, column: str = "") -> None:
        self.errors.append(RowError(line=line, message=str(message), column=column))

    def as_dict(self) -> dict[str, Any]:
        """JSON-serialisable, for a Celery result or a job row."""
        return {
            "kind": self.kind,
            "dry_run": self.dry_run,
            "rows": self.rows,
            "created": self.created,
            "ok": self.ok,
            "errors": [
                {"line": e.line, "column": e.column, "message": e.message} for e in self.errors
            ],
        }


@dataclass(frozen=True)
class CsvRow:
    line: int
    values: dict[str, str]


class CsvFileError(Exception):
    """The file as a whole cannot be read (encoding, header). Carries every problem found."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


def _read_bytes(source: bytes | IO[bytes] | IO[str] | str) -> bytes:
    if isinstance(source, bytes):
        return source
    if isinstance(source, str):
        return source.encode("utf-8")
    data = source.read()
    return data.encode("utf-8") if isinstance(data, str) else data


def _decode(data: bytes) -> str:
    """UTF-8 with or without a BOM; anything else is refused with the lines that are not UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    errors = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            errors.append(
                RowError(
                    line=number,
                    message=_("This line is not valid UTF-8. Save the file as UTF-8 and retry."),
                )
            )
            if len(errors) >= 50:
                break
    raise CsvFileError(errors or [RowError(line=None, message=_("The file is not valid UTF-8."))])


def csv_read(
    source: bytes | IO[bytes] | IO[str] | str,
    *,
    columns: Sequence[str],
    optional: Sequence[str] = (),
) -> tuple[list[CsvRow], list[RowError]]:
    """Parse a CSV file whose header must be exactly ``columns`` (in any order), plus any
    of the ``optional`` columns (a row of a file without one reads it as "").

    Returns the data rows (each with its line number) and the per-row structural errors
    (wrong number of fields). Raises CsvFileError when the file cannot be used at all.
    Empty lines are skipped.
    """
    text = _decode(_read_bytes(source))
    if not text.strip():
        raise CsvFileError([RowError(line=None, message=_("The file is empty."))])
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise CsvFileError([RowError(line=1, message=_("Unreadable header: %s") % exc)]) from exc
    nul_columns = [str(i) for i, h in enumerate(header, start=1) if NUL in h]
    if nul_columns:
        # Checked first: the other header messages quote the names, and a NUL in a report
        # could not be stored either.
        raise CsvFileError(
            [
                RowError(
                    line=1,
                    message=_(
                        "The header contains a NUL character (\\0) in column %(columns)s. "
                        "Remove it and retry."
                    )
                    % {"columns": ", ".join(nul_columns)},
                )
            ]
        )
    names = [h.strip().lower() for h in header]
    expected = list(columns)
    problems: list[RowError] = []
    missing = [c for c in expected if c not in names]
    allowed = expected + [c for c in optional if c not in expected]
    extra = [h for h in names if h not in allowed]
    duplicated = sorted({h for h in names if names.count(h) > 1 and h in allowed})
    if missing:
        problems.append(RowError(line=1, message=_("Missing columns: %s") % ", ".join(missing)))
    if extra:
        problems.append(
            RowError(
                line=1,
                message=_("Unexpected columns: %s") % ", ".join(h or _("(empty)") for h in extra),
            )
        )
    if duplicated:
        problems.append(RowError(line=1, message=_("Repeated columns: %s") % ", ".join(duplicated)))
    if problems:
        problems.append(
            RowError(line=1, message=_("The header row must be exactly: %s") % ",".join(expected))
        )
        if optional:
            problems.append(
                RowError(
                    line=1,
                    message=_("Optional columns: %s") % ",".join(allowed[len(expected) :]),
                )
            )
        raise CsvFileError(problems)
    absent = [c for c in allowed if c not in names]

    rows: list[CsvRow] = []
    errors: list[RowError] = []
    last_line = reader.line_num
    for record in _records(reader, errors):
        line = last_line + 1
        last_line = reader.line_num
        if not record or all(not v.strip() for v in record):
            continue
        if len(record) != len(names):
            errors.append(
                RowError(
                    line=line,
                    message=_("Expected %(expected)d fields, found %(found)d.")
                    % {"expected": len(names), "found": len(record)},
                )
            )
            continue
        values = {n: v.strip() for n, v in zip(names, record, strict=True)}
        values.update(dict.fromkeys(absent, ""))
        nul_fields = [n for n, v in values.items() if NUL in v]
        if nul_fields:
            # PostgreSQL cannot store NUL in text, nor look it up: such a row is reported
            # here and never reaches the importers' queries.
            errors.extend(RowError(line=line, message=nul_message(), column=n) for n in nul_fields)
            continue
        rows.append(CsvRow(line=line, values=values))
    return rows, errors


def rows_counted(rows: list[CsvRow], structural: list[RowError]) -> int:
    """How many data rows the file has: the good ones and the ones csv_read left out (one
    row may have several problems, a NUL in two fields)."""
    return len(rows) + len({e.line for e in structural})


def nul_message() -> str:
    return _("This field contains a NUL character (\\0), which cannot be stored. Remove it.")


def _records(reader: Any, errors: list[RowError]) -> Iterator[list[str]]:
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            # A broken quote swallows the rest of the file: report it and stop.
            errors.append(RowError(line=reader.line_num, message=_("Malformed CSV: %s") % exc))
            return


# --- field parsers: each returns the value or raises ValueError with a translated message ----


def parse_date(value: str) -> dt.date:
    if not DATE_RE.match(value):
        raise ValueError(_("“%(value)s” is not a date in the form YYYY-MM-DD.") % {"value": value})
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(_("“%(value)s” is not a valid date.") % {"value": value}) from None


def parse_amount(value: str, *, max_digits: int = 14, decimal_places: int = 2) -> Decimal:
    """A positive money amount with at most two decimals; no thousands separators."""
    try:
        amount = Decimal(value)
    except (InvalidOperation, ValueError):
        raise ValueError(_("“%(value)s” is not an amount.") % {"value": value}) from None
    if not amount.is_finite():
        raise ValueError(_("“%(value)s” is not an amount.") % {"value": value})
    if amount <= 0:
        raise ValueError(_("The amount must be greater than zero."))
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -decimal_places:
        raise ValueError(
            _("The amount may have at most %(places)d decimal places.") % {"places": decimal_places}
        )
    if amount >= Decimal(10) ** (max_digits - decimal_places):
        raise ValueError(_("The amount is too large."))
    return amount


def parse_choice(value: str, *, choices: Sequence[str]) -> str:
    normalised = value.lower()
    if normalised not in choices:
        raise ValueError(
            _("“%(value)s” is not one of: %(choices)s.")
            % {"value": value, "choices": ", ".join(choices)}
        )
    return normalised


def parse_bool(value: str) -> bool:
    normalised = value.lower()
    if normalised == "true":
        return True
    if normalised == "false":
        return False
    raise ValueError(_("“%(value)s” is not true or false.") % {"value": value})


def parse_int(value: str, *, minimum: int, maximum: int) -> int:
    if not re.fullmatch(r"\d+", value):
        raise ValueError(_("“%(value)s” is not a whole number.") % {"value": value})
    number = int(value)
    if not minimum <= number <= maximum:
        raise ValueError(
            _("The number must be between %(min)d and %(max)d.") % {"min": minimum, "max": maximum}
        )
    return number


# Active ISO 4217 codes (without funds and precious-metal codes).
ISO_CURRENCIES = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN
    BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD
    FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY
    KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP
    MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR
    RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT
    TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW
    ZWL
    """.split()
)


def parse_currency(value: str) -> str:
    code = value.upper()
    if code not in ISO_CURRENCIES:
        raise ValueError(_("“%(value)s” is not an ISO 4217 currency code.") % {"value": value})
    return code


def existing_values(model: Any, field_name: str, values: Sequence[str]) -> set[str]:
    """Which of ``values`` already exist in ``model.field_name`` (in chunks: SQLite limits
    the number of query parameters)."""
    wanted = sorted({v for v in values if v})
    found: set[str] = set()
    for start in range(0, len(wanted), 1000):
        chunk = wanted[start : start + 1000]
        found.update(
            model.objects.filter(**{f"{field_name}__in": chunk}).values_list(field_name, flat=True)
        )
    return found


def report_progress(progress: ProgressCallback | None, phase: str, done: int, total: int) -> None:
    if progress is not None and (done == total or done % PROGRESS_EVERY == 0):
        progress(phase, done, total)


def report_lines(report: ImportReport) -> list[str]:
    """The human-readable summary shown by the commands (errors first)."""
    lines = [str(e) for e in report.errors]
    if report.errors:
        lines.append(
            _(
                "%(errors)d problem(s) on %(lines)d line(s) of %(rows)d row(s): "
                "nothing was imported."
            )
            % {"errors": len(report.errors), "lines": len(report.bad_lines), "rows": report.rows}
        )
    elif report.dry_run:
        lines.append(
            _("Dry run: all %(rows)d row(s) are valid; nothing was written.")
            % {"rows": report.rows}
        )
    else:
        lines.append(_("Imported %(created)d row(s).") % {"created": report.created})
    return lines
