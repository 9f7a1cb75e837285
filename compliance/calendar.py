"""Calendar arithmetic for the rules: whole months that clamp at month ends, term lengths,
and the customer's local calendar day of a moment (docs/compliance.md, "Dates").

Pure functions: no database, no clock.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings


def months_shift(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole months (negative: back), clamped to the last day of the
    target month: 31 March − 1 month = 28 (or 29) February; 29 February + 12 = 28 February."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover - every month has a 28th


def term_last_day(start: dt.date, months: int) -> dt.date:
    """The last day of a term of ``months`` months from ``start``, by the rule billing and
    the quotes follow (billing.services.term_end): the day before the same day ``months``
    later, or that month's last day when it has no such day."""
    after = months_shift(start, months)
    return after if after.day < start.day else after - dt.timedelta(days=1)


def term_months(start: dt.date, end: dt.date) -> int:
    """How many whole months the term ``start``..``end`` (both inclusive) lasts: the largest
    n with term_last_day(start, n) ≤ end (0 for a term shorter than a month)."""
    if end < start:
        return 0
    n = (end.year - start.year) * 12 + (end.month - start.month) + 1
    while n > 0 and term_last_day(start, n) > end:
        n -= 1
    return n


# The usual zone of each jurisdiction code, to turn a moment (a delivery receipt) into the
# customer's calendar day. A country not listed uses settings.TIME_ZONE.
ZONES = {
    "CN": "Asia/Shanghai",
    "HK": "Asia/Hong_Kong",
    "MO": "Asia/Macau",
    "SG": "Asia/Singapore",
    "JP": "Asia/Tokyo",
    "KR": "Asia/Seoul",
    "GB": "Europe/London",
    "IE": "Europe/Dublin",
    "PT": "Europe/Lisbon",
    "FR": "Europe/Paris",
    "DE": "Europe/Berlin",
    "AT": "Europe/Vienna",
    "BE": "Europe/Brussels",
    "NL": "Europe/Amsterdam",
    "LU": "Europe/Luxembourg",
    "IT": "Europe/Rome",
    "ES": "Europe/Madrid",
    "CH": "Europe/Zurich",
    "NO": "Europe/Oslo",
    "DK": "Europe/Copenhagen",
    "SE": "Europe/Stockholm",
    "PL": "Europe/Warsaw",
    "CZ": "Europe/Prague",
    "SK": "Europe/Bratislava",
    "SI": "Europe/Ljubljana",
    "HR": "Europe/Zagreb",
    "HU": "Europe/Budapest",
    "MT": "Europe/Malta",
    "FI": "Europe/Helsinki",
    "EE": "Europe/Tallinn",
    "LV": "Europe/Riga",
    "LT": "Europe/Vilnius",
    "GR": "Europe/Athens",
    "CY": "Asia/Nicosia",
    "BG": "Europe/Sofia",
    "RO": "Europe/Bucharest",
    # Several zones: the region decides (only those with rules are listed), else the
    # country's most populous zone.
    "US": "America/New_York",
    "US-CA": "America/Los_Angeles",
    "US-WA": "America/Los_Angeles",
    "US-OR": "America/Los_Angeles",
    "US-NV": "America/Los_Angeles",
    "US-TX": "America/Chicago",
    "US-IL": "America/Chicago",
    "US-CO": "America/Denver",
    "US-AZ": "America/Phoenix",
    "US-HI": "Pacific/Honolulu",
    "US-AK": "America/Anchorage",
    "CA": "America/Toronto",
    "AU": "Australia/Sydney",
}


def local_zone(country: str, region: str = "") -> ZoneInfo:
    """The zone whose calendar the customer's dates are in."""
    name = ZONES.get(region) or ZONES.get(country) or settings.TIME_ZONE
    return ZoneInfo(name)


def local_day(moment: dt.datetime, zone: ZoneInfo) -> dt.date:
    """The calendar day ``moment`` (aware) falls on in ``zone``. A notice accepted at
    23:30 UTC on 1 March reached a Berlin customer on 2 March, a Los Angeles one on
    1 March: windows are compared with this day, never with the UTC date."""
    if moment.tzinfo is None:
        raise ValueError("an aware datetime is required")
    return moment.astimezone(zone).date()
