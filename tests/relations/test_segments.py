"""Who is in a segment: each criterion, their combination, the viewer's book, and the
as-of date at month ends and on a leap day. Real PostgreSQL (regular expressions,
intervals); every date is passed, no clock is read."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from contracts.models import ContractLine, ContractStatus
from insights.models import ContractScore, Interaction
from relations.segment_criteria import SegmentCriteria
from relations.segments import (
    criteria_members,
    segment_contracts,
    segment_member_count,
    segment_members,
    segment_save,
    segments_visible_to,
)
from tests.factories import ContractFactory, CustomerFactory, PlanFactory, StaffFactory

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2027, 3, 15)


def names(qs) -> list[str]:
    return sorted(c.name for c in qs)


def members(manager, as_of=AS_OF, **criteria) -> list[str]:
    return names(criteria_members(SegmentCriteria(**criteria), as_of=as_of, viewer=manager))


def contract(customer, *, start, end, status=ContractStatus.ACTIVE, plan=None):
    return ContractFactory(
        customer=customer, start_date=start, end_date=end, status=status, plan=plan
    )


@pytest.fixture
def book(manager):
    """Alice's customers (the ``manager`` fixture)."""

    def make(name, **kwargs):
        return CustomerFactory(account_manager=manager, name=name, **kwargs)

    return make


def test_tiers_match_the_effective_tier(manager, book):
    book("A computed", tier="A")
    book("A by override", tier="C", tier_override="A")
    book("A overridden to B", tier="A", tier_override="B")
    book("C", tier="C")

    assert members(manager, tiers=("A",)) == ["A by override", "A computed"]
    assert members(manager, tiers=("A", "B")) == [
        "A by override",
        "A computed",
        "A overridden to B",
    ]


def test_tags_match_whole_tags_in_any_case_and_separator(manager, book):
    book("Plain", tags="vip, reseller")
    book("Upper and spaces", tags="  VIP  ,Education")
    book("Chinese comma", tags="重点客户，Vip")
    book("Part of a tag", tags="non-vip, vipers")
    book("No tags")

    assert members(manager, tags=("vip",)) == ["Chinese comma", "Plain", "Upper and spaces"]
    assert members(manager, tags=("重点客户",)) == ["Chinese comma"]


def test_tags_any_or_all(manager, book):
    book("Both", tags="vip,reseller")
    book("Vip only", tags="vip")
    book("Reseller only", tags="Reseller")

    assert members(manager, tags=("vip", "reseller"), tags_match="any") == [
        "Both",
        "Reseller only",
        "Vip only",
    ]
    assert members(manager, tags=("vip", "reseller"), tags_match="all") == ["Both"]


def test_a_tag_with_regex_characters_is_matched_literally(manager, book):
    book("Dotted", tags="a.b, c+d")
    book("Other", tags="axb, cd")

    assert members(manager, tags=("a.b",)) == ["Dotted"]
    assert members(manager, tags=("c+d",)) == ["Dotted"]


def test_country_and_region(manager, book):
    book("Shanghai", country="CN")
    book("California", country="US", region="US-CA")
    book("New York", country="US", region="US-NY")

    assert members(manager, countries=("US",)) == ["California", "New York"]
    assert members(manager, regions=("US-CA",)) == ["California"]


@pytest.mark.parametrize(
    ("start", "end", "term"),
    [
        # A year from a leap day ends on 28 February: 12 months, long.
        (dt.date(2028, 2, 29), dt.date(2029, 2, 28), "long"),
        # A year from 1 March ending a day early: 11 months and 30 days, short.
        (dt.date(2027, 3, 1), dt.date(2028, 2, 28), "short"),
        (dt.date(2027, 3, 1), dt.date(2028, 2, 29), "long"),
        # 31 January + 11 months ends on 30 December: short.
        (dt.date(2027, 1, 31), dt.date(2027, 12, 30), "short"),
        (dt.date(2027, 1, 31), dt.date(2028, 1, 30), "long"),
        (dt.date(2027, 1, 1), dt.date(2027, 6, 30), "short"),
        (dt.date(2027, 1, 1), dt.date(2029, 12, 31), "long"),
    ],
)
def test_term_class_counts_calendar_months(manager, book, start, end, term):
    customer = book("Termed")
    contract(customer, start=start, end=end)
    other = "short" if term == "long" else "long"

    assert members(manager, term=term) == ["Termed"]
    assert members(manager, term=other) == []


def test_the_long_term_threshold_is_a_setting(manager, book, settings):
    customer = book("Six months")
    contract(customer, start=dt.date(2027, 1, 1), end=dt.date(2027, 6, 30))
    settings.RENEWDESK = {**settings.RENEWDESK, "LONG_TERM_MONTHS": 6}

    assert members(manager, term="long") == ["Six months"]


def test_term_class_reads_contracts_in_force_only(manager, book):
    ended = book("Ended long")
    contract(
        ended, start=dt.date(2025, 1, 1), end=dt.date(2026, 12, 31), status=ContractStatus.EXPIRED
    )
    scheduled = book("Scheduled long")
    contract(
        scheduled,
        start=dt.date(2027, 6, 1),
        end=dt.date(2028, 5, 31),
        status=ContractStatus.SCHEDULED,
    )

    assert members(manager, term="long") == ["Scheduled long"]


@pytest.mark.parametrize(
    ("as_of", "inside", "outside"),
    [
        # From the last day of February in a leap year: 30 days reach 30 March.
        (dt.date(2028, 2, 29), dt.date(2028, 3, 30), dt.date(2028, 3, 31)),
        # From 31 January: 30 days reach 2 March (28 days in February 2027).
        (dt.date(2027, 1, 31), dt.date(2027, 3, 2), dt.date(2027, 3, 3)),
        # Over the year end.
        (dt.date(2028, 12, 31), dt.date(2029, 1, 30), dt.date(2029, 1, 31)),
    ],
)
def test_renewal_window_counts_days_from_as_of(manager, book, as_of, inside, outside):
    contract(book("Ends on the last day"), start=inside - dt.timedelta(days=364), end=inside)
    contract(book("Ends a day later"), start=outside - dt.timedelta(days=364), end=outside)
    contract(book("Ends on as_of"), start=as_of - dt.timedelta(days=364), end=as_of)
    contract(
        book("Ended the day before"),
        start=as_of - dt.timedelta(days=365),
        end=as_of - dt.timedelta(days=1),
    )

    assert members(manager, as_of=as_of, renewal_within_days=30) == [
        "Ends on as_of",
        "Ends on the last day",
    ]


def test_renewal_window_needs_an_active_contract(manager, book):
    end = AS_OF + dt.timedelta(days=10)
    contract(book("Active"), start=end - dt.timedelta(days=364), end=end)
    contract(
        book("Awaiting payment"),
        start=end - dt.timedelta(days=364),
        end=end,
        status=ContractStatus.AWAITING_PAYMENT,
    )

    assert members(manager, renewal_within_days=30) == ["Active"]


def test_propensity_band_reads_the_contracts_score(manager, book):
    end = AS_OF + dt.timedelta(days=40)
    for name, score in [("Low", 39), ("Medium low", 40), ("Medium high", 69), ("High", 70)]:
        c = contract(book(name), start=end - dt.timedelta(days=364), end=end)
        ContractScore.objects.create(
            contract=c, score=score, value_at_risk=0, factors=[], method="rules"
        )
    book("Not scored")

    assert members(manager, propensity_bands=("low",)) == ["Low"]
    assert members(manager, propensity_bands=("medium",)) == ["Medium high", "Medium low"]
    assert members(manager, propensity_bands=("low", "high")) == ["High", "Low"]


def test_not_contacted_for_n_days(manager, book):
    def contacted(customer, day, kind="call"):
        Interaction.objects.create(
            customer=customer,
            kind=kind,
            summary="s",
            at=timezone.make_aware(dt.datetime.combine(day, dt.time(9))),
        )

    contacted(book("Called on the first day counted"), AS_OF - dt.timedelta(days=30))
    contacted(book("Called the day before"), AS_OF - dt.timedelta(days=31))
    contacted(book("Only a note"), AS_OF - dt.timedelta(days=1), kind="note")
    book("Never contacted")

    assert members(manager, not_contacted_days=30) == [
        "Called the day before",
        "Never contacted",
        "Only a note",
    ]


def test_product_is_the_contracts_plan_or_a_lines_product(manager, book):
    gold, silver = PlanFactory(code="GOLD"), PlanFactory(code="SILVER")
    contract(book("Gold plan"), start=dt.date(2027, 1, 1), end=dt.date(2027, 12, 31), plan=gold)
    line_contract = contract(
        book("Gold on a line"), start=dt.date(2027, 1, 1), end=dt.date(2027, 12, 31), plan=silver
    )
    ContractLine.objects.create(
        contract=line_contract, plan=gold, description="Gold seat", quantity=1, unit_price=10
    )
    contract(book("Silver"), start=dt.date(2027, 1, 1), end=dt.date(2027, 12, 31), plan=silver)

    assert members(manager, plans=(gold.pk,)) == ["Gold on a line", "Gold plan"]


def test_contract_criteria_hold_for_one_and_the_same_contract(manager, book):
    gold = PlanFactory(code="GOLD")
    soon = AS_OF + dt.timedelta(days=20)
    # Short term on gold ending soon, but the long contract is another one.
    mixed = book("Mixed")
    contract(mixed, start=soon - dt.timedelta(days=89), end=soon, plan=gold)
    contract(mixed, start=dt.date(2027, 1, 1), end=dt.date(2028, 12, 31))
    both = book("Both on one")
    contract(both, start=soon - dt.timedelta(days=364), end=soon, plan=gold)

    assert members(manager, term="long", renewal_within_days=30, plans=(gold.pk,)) == [
        "Both on one"
    ]


def test_criteria_combine_with_and(manager, book):
    end = AS_OF + dt.timedelta(days=10)
    hit = book("Tier A vip ending", tier="A", tags="vip")
    contract(hit, start=end - dt.timedelta(days=364), end=end)
    wrong_tier = book("Tier B vip ending", tier="B", tags="vip")
    contract(wrong_tier, start=end - dt.timedelta(days=364), end=end)
    book("Tier A vip not ending", tier="A", tags="vip")

    assert members(manager, tiers=("A",), tags=("vip",), renewal_within_days=30) == [
        "Tier A vip ending"
    ]


def test_members_stay_in_the_viewers_book(manager, team_lead, book):
    bob = StaffFactory(username="bob")
    book("Alice's vip", tags="vip")
    CustomerFactory(account_manager=bob, name="Bob's vip", tags="vip")
    segment = segment_save(
        by=team_lead, name="VIPs", criteria=SegmentCriteria(tags=("vip",)), shared=True
    )

    assert names(segment_members(segment, as_of=AS_OF, viewer=team_lead)) == [
        "Alice's vip",
        "Bob's vip",
    ]
    assert names(segment_members(segment, as_of=AS_OF, viewer=manager)) == ["Alice's vip"]
    assert names(segment_members(segment, as_of=AS_OF, viewer=bob)) == ["Bob's vip"]
    assert segment_member_count(segment, as_of=AS_OF, viewer=bob) == 1


def test_without_a_viewer_a_segment_reads_its_owners_book(manager, book):
    book("Alice's vip", tags="vip")
    CustomerFactory(name="Someone else's vip", tags="vip")
    segment = segment_save(
        by=manager, name="VIPs", criteria=SegmentCriteria(tags=("vip",)), shared=False
    )

    assert names(segment_members(segment, as_of=AS_OF)) == ["Alice's vip"]


def test_a_segment_with_criteria_edited_into_nonsense_selects_nobody(manager, book):
    book("Anyone")
    segment = segment_save(
        by=manager, name="All A", criteria=SegmentCriteria(tiers=("C",)), shared=False
    )
    segment.criteria = {"tiers": "everyone"}
    segment.save()

    assert list(segment_members(segment, as_of=AS_OF)) == []
    assert list(segment_contracts(segment, as_of=AS_OF)) == []


def test_segment_contracts_are_the_members_matching_contracts(manager, book):
    end = AS_OF + dt.timedelta(days=10)
    customer = book("Ending", tier="A")
    ending = contract(customer, start=end - dt.timedelta(days=364), end=end)
    contract(customer, start=dt.date(2027, 1, 1), end=dt.date(2028, 12, 31))
    segment = segment_save(
        by=manager,
        name="Ending soon",
        criteria=SegmentCriteria(tiers=("A",), renewal_within_days=30),
        shared=False,
    )

    assert list(segment_contracts(segment, as_of=AS_OF)) == [ending]


def test_segments_visible_are_ones_own_and_shared_ones(manager):
    bob = StaffFactory(username="bob")
    mine = segment_save(
        by=manager, name="Mine", criteria=SegmentCriteria(tiers=("A",)), shared=False
    )
    shared = segment_save(
        by=bob, name="Shared", criteria=SegmentCriteria(tiers=("A",)), shared=True
    )
    segment_save(by=bob, name="Bob's private", criteria=SegmentCriteria(tiers=("A",)), shared=False)

    assert list(segments_visible_to(manager)) == [mine, shared]
