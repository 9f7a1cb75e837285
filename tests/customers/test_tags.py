"""Customer tags: split, normalised and matched as whole tags (PostgreSQL regex)."""

from __future__ import annotations

import pytest

from customers.models import Customer
from customers.tags import has_tag, tags_display, tags_split
from tests.factories import CustomerFactory


def test_tags_split_on_every_separator_trims_and_folds_case():
    assert tags_split(" VIP,reseller，重点客户、 Edu  Cation ;vip; ") == [
        "vip",
        "reseller",
        "重点客户",
        "edu cation",
    ]
    assert tags_split("") == []


def test_tags_display_keeps_the_case_as_typed():
    assert tags_display("VIP ,  Big   Fish，重点") == ["VIP", "Big Fish", "重点"]


@pytest.mark.django_db
def test_has_tag_finds_whole_tags_only():
    CustomerFactory(name="Hit", tags="Big  Fish, vip")
    CustomerFactory(name="Part", tags="big fishes, vipx")
    CustomerFactory(name="Brackets", tags="[a](b)")

    def found(tag):
        return sorted(Customer.objects.filter(has_tag(tag)).values_list("name", flat=True))

    assert found("big fish") == ["Hit"]
    assert found("VIP") == ["Hit"]
    assert found("[a](b)") == ["Brackets"]
    assert found("   ") == []
