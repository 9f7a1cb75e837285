"""Rules on customer fields shared by the staff form and the API serializer."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

FUTURE_DATE_MESSAGES = {
    "birthday": _("A birthday cannot be in the future."),
    "founded_on": _("A founding date cannot be in the future."),
}


def validate_past_date(field: str, day: dt.date | None) -> dt.date | None:
    """A birthday or founding date that has happened (today at the latest, in the business
    time zone): care messages are scheduled from it."""
    if day is not None and day > timezone.localdate():
        raise ValidationError(FUTURE_DATE_MESSAGES[field], code="future")
    return day
