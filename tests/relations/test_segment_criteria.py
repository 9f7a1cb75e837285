"""The stored criteria JSON: what is accepted, how it is normalised, and what is refused
with a message (never stored, never a 500)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from relations.segment_criteria import SegmentCriteria, propensity_band_range
from tests.factories import PlanFactory

pytestmark = pytest.mark.django_db


def test_criteria_round_trip_through_json():
    plan = PlanFactory()
    criteria = SegmentCriteria(
        tiers=("A", "C"),
        term="long",
        tags=("vip", "重点客户"),
        tags_match="all",
        countries=("US",),
        regions=("US-CA",),
        renewal_within_days=60,
        propensity_bands=("low",),
        not_contacted_days=90,
        plans=(plan.pk,),
    )

    assert SegmentCriteria.from_json(criteria.to_json()) == criteria


def test_values_are_normalised():
    criteria = SegmentCriteria.from_json(
        {"tiers": ["C", "A", "A"], "tags": [" VIP ,reseller", "vip"], "countries": [" us "]}
    )

    assert criteria.tiers == ("A", "C")
    assert criteria.tags == ("vip", "reseller")
    assert criteria.countries == ("US",)


def test_empty_criteria_are_empty():
    assert SegmentCriteria.from_json({}).is_empty
    assert SegmentCriteria.from_json({"tags_match": "all"}).is_empty
    assert not SegmentCriteria.from_json({"tiers": ["A"]}).is_empty


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"tiers": "A"}, "tiers"),
        ({"tiers": ["Z"]}, "tiers"),
        ({"term": "medium"}, "term"),
        ({"tags_match": "some"}, "tags_match"),
        ({"tags": [f"t{i}" for i in range(21)]}, "tags"),
        ({"tags": ["x" * 101]}, "tags"),
        ({"countries": ["XX"]}, "countries"),
        ({"regions": ["US-ZZ"]}, "regions"),
        ({"renewal_within_days": 0}, "renewal_within_days"),
        ({"renewal_within_days": 731}, "renewal_within_days"),
        ({"renewal_within_days": "30"}, "renewal_within_days"),
        ({"renewal_within_days": True}, "renewal_within_days"),
        ({"not_contacted_days": 3651}, "not_contacted_days"),
        ({"propensity_bands": ["very high"]}, "propensity_bands"),
        ({"plans": [987654]}, "plans"),
        ({"plans": ["1"]}, "plans"),
    ],
)
def test_bad_values_are_refused_by_field(data, field):
    with pytest.raises(ValidationError) as info:
        SegmentCriteria.from_json(data)

    assert list(info.value.message_dict) == [field]


def test_unknown_keys_and_non_objects_are_refused():
    with pytest.raises(ValidationError, match="Unknown criteria: colour"):
        SegmentCriteria.from_json({"colour": "red"})
    with pytest.raises(ValidationError):
        SegmentCriteria.from_json(["tiers"])


def test_propensity_bands_follow_the_setting(settings):
    assert propensity_band_range("low") == (0, 39)
    settings.RENEWDESK = {**settings.RENEWDESK, "PROPENSITY_BANDS": {"medium_from": 30}}
    assert propensity_band_range("low") == (0, 29)
    assert propensity_band_range("medium") == (30, 69)
    assert propensity_band_range("high") == (70, 100)
