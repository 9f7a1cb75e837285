"""Invoice and receipt numbers (one sequence per prefix and year), and term dates."""

from __future__ import annotations

import datetime as dt

from core.sequences import sequence_next


def _number(prefix: str, day: dt.date) -> str:
    n = sequence_next(name=f"{prefix.lower()}-{day.year}")
    return f"{prefix}-{day.year}-{n:06d}"


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole months, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=d)
        except ValueError:
            continue
    raise ValueError(day)


def term_end(start: dt.date, months: int) -> dt.date:
    """The last day of a term of ``months`` months from ``start``: the day before the same
    day ``months`` later, or the end of that month when it has no such day (a year from
    29 February ends on 28 February, not the 27th; a month from 31 January ends on the last
    day of February), so that the next term starts on the 1st and a term never shrinks
    from one renewal to the next."""
    after = add_months(start, months)
    return after if after.day < start.day else after - dt.timedelta(days=1)
