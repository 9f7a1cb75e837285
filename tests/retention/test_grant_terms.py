"""A retention discount "for N terms" reaches N successive renewal quotes: the quote of the
contract it was accepted on, then the quotes of the contracts that renew it, each use
recorded on the grant and on the contract's timeline; after the N-th the grant is used up."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from contracts.models import ContractEvent, ContractLine, ContractStatus
from contracts.selectors import event_payload_display
from renewals import services as renewal_services
from retention import selectors, services
from retention.models import GrantStatus, OfferGrant, RetentionOffer
from tests.factories import ContractFactory, PlanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def plan(db):
    return PlanFactory(code="PRO", name="Pro", price=Decimal("1000.00"))


def _year(customer, plan, year, predecessor=None):
    """An active calendar-year term on the Pro plan (12 × 1,000 CNY)."""
    contract = ContractFactory(
        customer=customer,
        plan=plan,
        status=ContractStatus.ACTIVE,
        start_date=dt.date(year, 1, 1),
        end_date=dt.date(year, 12, 31),
        total_amount=Decimal("12000.00"),
        annual_value=Decimal("12000.00"),
        notice_period_days=30,
        predecessor=predecessor,
        with_line=False,
    )
    ContractLine.objects.create(
        contract=contract,
        plan=plan,
        description="Pro",
        quantity=Decimal("1"),
        unit_price=Decimal("12000.00"),
    )
    return contract


def _quote(contract, manager):
    case, _created = renewal_services.case_open(contract=contract)
    return renewal_services.quote_create(case=case, by=manager)


def _accept(contract, user, *, terms):
    offer = RetentionOffer.objects.create(
        code=f"D15x{terms}",
        title="15 % off",
        kind="discount",
        discount_percent=Decimal("15"),
        terms_count=terms,
    )
    services.cancellation_submit(
        contract=contract,
        kind="non_renewal",
        reason="price",
        by=user,
        offer_answer="accepted",
        offer_id=offer.pk,
    )
    return OfferGrant.objects.get(contract=contract)


def test_a_discount_for_three_terms_reaches_three_successive_renewal_quotes(
    customer, plan, portal_user, manager, today
):
    first = _year(customer, plan, 2026)
    grant = _accept(first, portal_user, terms=3)

    # the renewal of 2026, and of the contracts that renew it in turn
    quotes = [_quote(first, manager)]
    grant.refresh_from_db()
    assert grant.status == GrantStatus.PENDING  # two more terms to go
    second = _year(customer, plan, 2027, predecessor=first)
    quotes.append(_quote(second, manager))
    third = _year(customer, plan, 2028, predecessor=second)
    quotes.append(_quote(third, manager))
    fourth = _year(customer, plan, 2029, predecessor=third)
    quotes.append(_quote(fourth, manager))

    assert [q.discount_percent for q in quotes] == [Decimal("15")] * 3 + [Decimal("0")]
    assert [q.total for q in quotes] == [Decimal("10200.00")] * 3 + [Decimal("12000.00")]
    grant.refresh_from_db()
    assert grant.status == GrantStatus.USED
    assert [u["quote"] for u in selectors.grant_uses(grant)] == [q.number for q in quotes[:3]]
    used = ContractEvent.objects.filter(contract=first, kind="offer_used").order_by("id")
    assert [(e.payload["quote"], e.payload["terms_used"]) for e in used] == [
        (q.number, f"{n}/3") for n, q in enumerate(quotes[:3], start=1)
    ]


def test_a_discount_for_one_term_reaches_the_next_quote_only(
    customer, plan, portal_user, manager, today
):
    first = _year(customer, plan, 2026)
    grant = _accept(first, portal_user, terms=1)

    assert _quote(first, manager).discount_percent == Decimal("15")
    grant.refresh_from_db()
    assert grant.status == GrantStatus.USED
    second = _year(customer, plan, 2027, predecessor=first)
    assert _quote(second, manager).discount_percent == Decimal("0")


def test_a_quote_counts_once_and_another_customers_renewal_never_gets_it(
    customer, plan, portal_user, manager, today
):
    first = _year(customer, plan, 2026)
    grant = _accept(first, portal_user, terms=2)
    quote = _quote(first, manager)

    services.grant_mark_used(grant=grant, by=manager, quote_ref=quote.number)  # again
    grant.refresh_from_db()
    assert len(selectors.grant_uses(grant)) == 1 and grant.status == GrantStatus.PENDING

    unrelated = _year(ContractFactory().customer, plan, 2027)
    assert not selectors.pending_grants_for_next_quote(contract=unrelated).exists()
    assert list(selectors.pending_grants_for_next_quote(contract=first)) == [grant]


def test_each_use_reads_in_words_on_the_contract_timeline(
    customer, plan, portal_user, manager, today
):
    first = _year(customer, plan, 2026)
    _accept(first, portal_user, terms=2)
    quote = _quote(first, manager)
    used = ContractEvent.objects.get(contract=first, kind="offer_used")

    for language, label in (("en", "discount terms used"), ("zh-hans", "已使用的折扣期数")):
        with translation.override(language):
            rows = dict(event_payload_display(used.payload))
        assert rows[label] == "1/2"
        assert quote.number in rows.values()
