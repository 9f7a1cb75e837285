"""renewals.quote_states: the quote's table, each change with its event, refusals,
rollback, and two workers racing on the same quote (real PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import threading
from itertools import count

import pytest
from django.db import connection, transaction

from contracts.models import ContractEvent
from core.errors import InvalidTransition
from renewals.models import Quote, QuoteStatus, RenewalCase
from renewals.quote_states import (
    QUOTE_TRANSITIONS,
    QUOTES,
    quote_lock,
    quote_mark_sent,
    quote_mark_signed,
    quote_reopen,
    quote_withdraw,
)
from tests.factories import ContractFactory

Q = QuoteStatus
ALLOWED = [(src, dst) for src in Q.values for dst in sorted(QUOTE_TRANSITIONS[src])]
REFUSED = [(src, dst) for src in Q.values for dst in Q.values if dst not in QUOTE_TRANSITIONS[src]]
AT = dt.datetime(2026, 11, 21, 10, 0, tzinfo=dt.UTC)
_numbers = count(1)


def _quote(status: str = Q.DRAFT) -> Quote:
    case = RenewalCase.objects.create(contract=ContractFactory(), opened_at=AT)
    return Quote.objects.create(
        case=case,
        number=f"QT-TEST-{next(_numbers):06d}",
        status=status,
        start_date=dt.date(2027, 1, 1),
        end_date=dt.date(2027, 12, 31),
        billing_period="yearly",
    )


def _events(quote: Quote) -> list[ContractEvent]:
    return list(ContractEvent.objects.filter(contract_id=quote.case.contract_id))


def test_the_table_is_what_the_services_do():
    assert QUOTE_TRANSITIONS == {
        Q.DRAFT: {Q.SENT, Q.WITHDRAWN},
        Q.SENT: {Q.DRAFT, Q.SIGNED, Q.WITHDRAWN},
        Q.SIGNED: set(),
        Q.WITHDRAWN: set(),
    }
    assert QUOTES.initial == {Q.DRAFT}


# One function per allowed change, with the event kind it writes.
def _send(quote, by):
    with transaction.atomic():
        return quote_mark_sent(quote_lock(quote), by=by, updates={"sent_at": AT})


def _reopen(quote, by):
    with transaction.atomic():
        return quote_reopen(quote_lock(quote), by=by, updates={"revision": 2})


def _sign(quote, by):
    with transaction.atomic():
        return quote_mark_signed(quote_lock(quote), by=by, payload={"method": "online"})


def _withdraw(quote, by):
    assert quote_withdraw(quote, by=by, reason="lost")
    return quote


CHANGES = {
    (Q.DRAFT, Q.SENT): (_send, "quote_sent"),
    (Q.DRAFT, Q.WITHDRAWN): (_withdraw, "quote_withdrawn"),
    (Q.SENT, Q.DRAFT): (_reopen, "quote_updated"),
    (Q.SENT, Q.SIGNED): (_sign, "quote_signed"),
    (Q.SENT, Q.WITHDRAWN): (_withdraw, "quote_withdrawn"),
}


def test_every_allowed_change_has_its_function():
    assert sorted(CHANGES) == sorted(ALLOWED)


@pytest.mark.django_db
@pytest.mark.parametrize(("src", "dst"), ALLOWED)
def test_every_allowed_change_writes_the_status_and_one_event(manager, src, dst):
    quote = _quote(src)
    change, kind = CHANGES[(src, dst)]

    change(quote, manager)

    quote.refresh_from_db()
    assert quote.status == dst
    [event] = _events(quote)
    assert (event.kind, event.actor) == (kind, manager)
    assert event.payload["quote"] == quote.number
    assert event.payload["revision"] == quote.revision
    assert (event.payload["from_quote_status"], event.payload["to_quote_status"]) == (src, dst)
    assert (event.from_status, event.to_status) == ("", "")  # not a contract status change


@pytest.mark.django_db
def test_sending_writes_the_updates_in_the_same_row():
    quote = _quote(Q.DRAFT)

    _send(quote, None)

    quote.refresh_from_db()
    assert (quote.status, quote.sent_at) == (Q.SENT, AT)


@pytest.mark.django_db
@pytest.mark.parametrize(("src", "dst"), REFUSED)
def test_every_other_change_is_refused_and_writes_nothing(src, dst):
    quote = _quote(src)

    with pytest.raises(InvalidTransition) as refused, transaction.atomic():
        QUOTES.change_locked(quote_lock(quote), dst)

    assert refused.value.message
    quote.refresh_from_db()
    assert quote.status == src
    assert _events(quote) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("src", "change", "message"),
    [
        (Q.SENT, _send, "Only a draft quote can be sent."),
        (Q.SIGNED, _sign, "This quote is already signed."),
        (Q.DRAFT, _sign, "Quote that is “Draft” cannot become “Signed”."),
        (Q.WITHDRAWN, _reopen, "Quote that is “Withdrawn” cannot become “Draft”."),
    ],
)
def test_the_functions_refuse_with_a_message_for_the_page(src, change, message):
    quote = _quote(src)

    with pytest.raises(InvalidTransition) as refused:
        change(quote, None)

    assert refused.value.message == message
    quote.refresh_from_db()
    assert quote.status == src and _events(quote) == []


@pytest.mark.django_db
@pytest.mark.parametrize("src", [Q.SIGNED, Q.WITHDRAWN])
def test_withdrawing_what_is_no_longer_an_offer_changes_nothing(src):
    quote = _quote(src)

    assert quote_withdraw(quote) is False

    quote.refresh_from_db()
    assert quote.status == src and _events(quote) == []


@pytest.mark.django_db
def test_a_rolled_back_change_leaves_neither_the_status_nor_the_event():
    quote = _quote(Q.SENT)

    with pytest.raises(RuntimeError), transaction.atomic():
        quote_mark_signed(quote_lock(quote), by=None)
        raise RuntimeError("the invoice could not be issued")

    quote.refresh_from_db()
    assert quote.status == Q.SENT and _events(quote) == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_signing_and_withdrawing_the_same_quote_at_once_one_wins(round_):
    quote = _quote(Q.SENT)
    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def sign() -> None:
        try:
            barrier.wait()
            with transaction.atomic():
                quote_mark_signed(quote_lock(quote), by=None)
            results["sign"] = True
        except InvalidTransition:
            results["sign"] = False
        finally:
            connection.close()

    def withdraw() -> None:
        try:
            barrier.wait()
            results["withdraw"] = quote_withdraw(quote)
        finally:
            connection.close()

    threads = [threading.Thread(target=sign), threading.Thread(target=withdraw)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(results.values()) == [False, True]
    quote.refresh_from_db()
    assert quote.status == (Q.SIGNED if results["sign"] else Q.WITHDRAWN)
    assert [e.kind for e in _events(quote)] == [
        "quote_signed" if results["sign"] else "quote_withdrawn"
    ]
