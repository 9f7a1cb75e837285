"""How the English pages write a date (config/formats/en: DATE_FORMAT "j M Y")."""

from __future__ import annotations

import datetime as dt


def english_date(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"
