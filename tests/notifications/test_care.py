from __future__ import annotations

import datetime as dt

from notifications.care import care_sweep
from notifications.models import FestivalDate, Message
from notifications.services import outbox_deliver_due
from tests.factories import ContactFactory, ContractFactory, CustomerFactory

DAY = dt.date(2026, 9, 25)


def customer(**kwargs):
    c = CustomerFactory(**kwargs)
    ContactFactory(customer=c)
    return c


def test_it_greets_on_a_birthday_once_and_respects_the_opt_out(db):
    glad = customer(birthday=dt.date(1980, 9, 25))
    opted_out = customer(birthday=dt.date(1980, 9, 25), care_messages=False)
    customer(birthday=dt.date(1980, 9, 26))

    care_sweep(as_of=DAY)
    care_sweep(as_of=DAY)
    outbox_deliver_due()

    message = Message.objects.get(kind="care_birthday")
    assert message.customer == glad and message.status == "sent"
    assert glad.name in message.body_text
    assert not Message.objects.filter(customer=opted_out).exists()


def test_it_sends_festival_greetings_in_each_customers_language(db):
    FestivalDate.objects.get_or_create(kind="mid_autumn", date=DAY)
    zh = customer(language="zh-hans")
    en = customer(language="en")
    customer(care_messages=False)

    care_sweep(as_of=DAY)
    outbox_deliver_due()

    greetings = Message.objects.filter(kind="care_mid_autumn")
    assert set(greetings.values_list("customer", flat=True)) == {zh.pk, en.pk}
    assert greetings.get(customer=zh).subject == "中秋快乐"
    assert greetings.get(customer=en).subject == "Happy Mid-Autumn Festival"


def test_it_marks_company_and_contract_anniversaries(db):
    company = customer(founded_on=dt.date(2010, 9, 25))
    contract = ContractFactory(
        customer=company, start_date=dt.date(2024, 9, 25), end_date=dt.date(2027, 9, 24)
    )

    care_sweep(as_of=DAY)
    outbox_deliver_due()

    assert Message.objects.filter(kind="care_company_anniversary", customer=company).exists()
    anniversary = Message.objects.get(kind="care_contract_anniversary")
    assert anniversary.contract == contract
    assert "2 years" in anniversary.body_text


def test_it_reports_the_messages_it_created_and_none_on_a_second_run(db):
    FestivalDate.objects.get_or_create(kind="mid_autumn", date=DAY)
    company = customer(founded_on=dt.date(2010, 9, 25), birthday=dt.date(1980, 9, 25))
    ContractFactory(customer=company, start_date=dt.date(2024, 9, 25), end_date=DAY.replace(2027))

    first = care_sweep(as_of=DAY)
    again = care_sweep(as_of=DAY)

    assert first == {
        "care_birthday": 1,
        "care_company_anniversary": 1,
        "care_mid_autumn": 1,
        "care_contract_anniversary": 1,
    }
    assert sum(again.values()) == 0
    assert Message.objects.count() == 4
