"""The criteria of a customer segment, stored as JSON on ``Segment.criteria``, and their
validation: what is stored is always what ``SegmentCriteria.to_json`` wrote, and anything
else (a form, the admin, a hand-edited row) goes through ``SegmentCriteria.from_json``,
which raises a ``ValidationError`` with a message in the user's language.

Every criterion is optional; those given must all hold (AND). Within a list, any value
matches (OR), except tags with ``tags_match = "all"``. The contract criteria (term class,
renewal window, propensity band, product) must hold for one and the same contract in
force: "long-term contracts of product X ending within 60 days".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from contracts.models import Plan
from contracts.term_length import TermClass
from customers.country_codes import COUNTRIES, REGIONS, normalise_code
from customers.models import Tier
from customers.tags import TAG_MAX_LENGTH, tags_split

VERSION = 1
MAX_TAGS = 20
MAX_CODES = 60
MAX_PLANS = 50
MAX_RENEWAL_DAYS = 730
MAX_NOT_CONTACTED_DAYS = 3650


class TagMatch(models.TextChoices):
    ANY = "any", _("any of these tags")
    ALL = "all", _("all of these tags")


class PropensityBand(models.TextChoices):
    LOW = "low", _("Low (likely to leave)")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High (likely to renew)")


# The at-risk list's meter colours the same bands (insights/at_risk.html: low 40, high 70).
DEFAULT_PROPENSITY_BANDS = {"medium_from": 40, "high_from": 70}


def propensity_band_range(band: str) -> tuple[int, int]:
    """The scores (inclusive) of a band, from ``RENEWDESK["PROPENSITY_BANDS"]``."""
    limits = {**DEFAULT_PROPENSITY_BANDS, **settings.RENEWDESK.get("PROPENSITY_BANDS", {})}
    medium, high = int(limits["medium_from"]), int(limits["high_from"])
    return {
        PropensityBand.LOW: (0, medium - 1),
        PropensityBand.MEDIUM: (medium, high - 1),
        PropensityBand.HIGH: (high, 100),
    }[PropensityBand(band)]


@dataclass(frozen=True)
class SegmentCriteria:
    tiers: tuple[str, ...] = ()
    term: str = ""
    tags: tuple[str, ...] = ()
    tags_match: str = TagMatch.ANY
    countries: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    renewal_within_days: int | None = None
    propensity_bands: tuple[str, ...] = ()
    not_contacted_days: int | None = None
    plans: tuple[int, ...] = field(default=())

    @property
    def is_empty(self) -> bool:
        return self == SegmentCriteria(tags_match=self.tags_match)

    @property
    def has_contract_criteria(self) -> bool:
        return bool(self.term or self.renewal_within_days or self.propensity_bands or self.plans)

    def to_json(self) -> dict[str, Any]:
        data = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}
        return {"version": VERSION, **data}

    @classmethod
    def from_json(cls, data: Any) -> SegmentCriteria:
        """Validated criteria. Unknown keys, wrong types, unknown codes or plans and values
        out of range raise ValidationError (a dict of field → messages)."""
        if not isinstance(data, dict):
            raise ValidationError(_("The criteria must be an object."), code="invalid")
        known = {f for f in cls.__dataclass_fields__} | {"version"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValidationError(
                _("Unknown criteria: %(names)s.") % {"names": ", ".join(unknown)},
                code="unknown",
            )
        errors: dict[str, list[Any]] = {}

        def check(name: str, fn: Any) -> Any:
            try:
                return fn(data.get(name))
            except ValidationError as exc:
                errors.setdefault(name, []).extend(exc.messages)
                return None

        criteria = cls(
            tiers=check("tiers", _tiers) or (),
            term=check("term", _term) or "",
            tags=check("tags", _tags) or (),
            tags_match=check("tags_match", _tags_match) or TagMatch.ANY,
            countries=check("countries", _countries) or (),
            regions=check("regions", _regions) or (),
            renewal_within_days=check("renewal_within_days", lambda v: _days(v, MAX_RENEWAL_DAYS)),
            propensity_bands=check("propensity_bands", _bands) or (),
            not_contacted_days=check(
                "not_contacted_days", lambda v: _days(v, MAX_NOT_CONTACTED_DAYS)
            ),
            plans=check("plans", _plans) or (),
        )
        if errors:
            raise ValidationError(errors)
        return criteria


def validate_criteria(value: Any) -> None:
    """The model field's validator (admin, full_clean)."""
    SegmentCriteria.from_json(value)


def _list(value: Any, *, limit: int) -> list[Any]:
    if value in (None, ""):
        return []
    if not isinstance(value, list | tuple):
        raise ValidationError(_("Give a list of values."), code="invalid")
    if len(value) > limit:
        raise ValidationError(_("At most %(limit)s values.") % {"limit": limit}, code="max_length")
    return list(value)


def _strings(value: Any, *, limit: int) -> list[str]:
    items = _list(value, limit=limit)
    if any(not isinstance(v, str) for v in items):
        raise ValidationError(_("Give a list of values."), code="invalid")
    return items


def _choices(value: Any, allowed: list[str], *, label: Any) -> tuple[str, ...]:
    items = _strings(value, limit=len(allowed))
    wrong = [v for v in items if v not in allowed]
    if wrong:
        raise ValidationError(
            _("Unknown %(what)s: %(values)s.") % {"what": label, "values": ", ".join(wrong)},
            code="invalid_choice",
        )
    return tuple(v for v in allowed if v in items)  # one order, whatever was sent


def _tiers(value: Any) -> tuple[str, ...]:
    return _choices(value, list(Tier.values), label=_("tier"))


def _bands(value: Any) -> tuple[str, ...]:
    return _choices(value, list(PropensityBand.values), label=_("propensity band"))


def _term(value: Any) -> str:
    if value in (None, ""):
        return ""
    if value not in TermClass.values():
        raise ValidationError(_("Choose short or long term."), code="invalid_choice")
    return str(value)


def _tags_match(value: Any) -> str:
    if value in (None, ""):
        return TagMatch.ANY
    if value not in TagMatch.values:
        raise ValidationError(_("Choose any or all of the tags."), code="invalid_choice")
    return str(value)


def _tags(value: Any) -> tuple[str, ...]:
    tags: list[str] = []
    # Items may hold several tags each ("vip, reseller"): the limit is on the tags.
    for item in _strings(value, limit=MAX_TAGS * 5):
        tags.extend(tags_split(item))
    if len(tags) > MAX_TAGS:
        raise ValidationError(_("At most %(limit)s tags.") % {"limit": MAX_TAGS}, code="max_length")
    if any(len(t) > TAG_MAX_LENGTH for t in tags):
        raise ValidationError(
            _("A tag is at most %(limit)s characters.") % {"limit": TAG_MAX_LENGTH},
            code="max_length",
        )
    return tuple(dict.fromkeys(tags))


def _codes(value: Any, known: dict[str, Any], message: Any) -> tuple[str, ...]:
    codes = [normalise_code(v) for v in _strings(value, limit=MAX_CODES)]
    wrong = [c for c in codes if c not in known]
    if wrong:
        raise ValidationError(message % {"codes": ", ".join(wrong)}, code="invalid_choice")
    return tuple(dict.fromkeys(codes))


def _countries(value: Any) -> tuple[str, ...]:
    return _codes(value, COUNTRIES, _("Unknown country codes: %(codes)s."))


def _regions(value: Any) -> tuple[str, ...]:
    return _codes(value, REGIONS, _("Unknown region codes: %(codes)s."))


def _days(value: Any, limit: int) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= limit:
        raise ValidationError(
            _("Give a whole number of days from 1 to %(limit)s.") % {"limit": limit},
            code="invalid",
        )
    return value


def _plans(value: Any) -> tuple[int, ...]:
    items = _list(value, limit=MAX_PLANS)
    if any(isinstance(v, bool) or not isinstance(v, int) for v in items):
        raise ValidationError(_("Give a list of plans."), code="invalid")
    found = set(Plan.objects.filter(pk__in=items).values_list("pk", flat=True))
    if len(found) != len(set(items)):
        raise ValidationError(_("One of the plans no longer exists."), code="invalid_choice")
    return tuple(sorted(found))
