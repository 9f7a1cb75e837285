"""Automatic renewal on while a renewal offer waits for the signature: what happens if the
customer signs, and if she does not (lifecycle.auto_renewal_outlook).

The lifecycle (lifecycle.auto_renewal): at the end of the term an unsigned successor is
voided (renewals.services.successor_void_if_unsigned) and the contract renews
automatically at the then-current price; a signed successor takes over and the automatic
renewal does not run. The portal's renewal page and dashboard, and the staff case page,
say exactly that, with the date, the term and the automatic renewal's own price."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from contracts.models import Contract, ContractStatus, PlanPrice
from contracts.services import contract_set_auto_renew
from lifecycle.auto_renewal_outlook import auto_renewal_outlook
from lifecycle.contract_ends import process_contract_ends
from renewals import services
from renewals.models import RenewalCase
from tests.factories import PortalAccountFactory

from .conftest import TERM_END

pytestmark = pytest.mark.django_db

S = ContractStatus
NEXT_START = TERM_END + dt.timedelta(days=1)  # 1 Jan 2027

OFFER_EN = (
    "Automatic renewal is on. If you sign this offer, it replaces the automatic renewal. "
    "If you do not sign it by 31 Dec 2026, the offer lapses and on 1 Jan 2027 your contract "
    "renews automatically for 12 months at CNY 13,200.00 (the current price)."
)
OFFER_ZH = (
    "自动续约已开启。如果您签署此续约报价，它将取代自动续约。如果您在2026年12月31日前未签署，"
    "该报价将失效，您的合同将于2027年1月1日按当前价格 CNY 13,200.00 自动续约 12 个月。"
)
SIGNED_EN = (
    "You signed the renewal: it replaces the automatic renewal, which will not run at the "
    "end of this term."
)


def _text(response) -> str:
    """The page's text: tags dropped, whitespace collapsed (the amount sits in a span)."""
    body = re.sub(r"<[^>]+>", "", response.content.decode())
    return " ".join(body.split())


@pytest.fixture
def auto_renew_on(renewing_contract):
    contract_set_auto_renew(
        contract=renewing_contract,
        enabled=True,
        by=None,
        channel="portal",
        text="I switch automatic renewal on.",
        text_version="1",
    )
    renewing_contract.refresh_from_db()
    return renewing_contract


@pytest.fixture
def price_rise(plan):
    """From December the plan costs 1,100 a month: the automatic renewal's price (13,200 for
    12 months), not the running contract's total (12,000)."""
    return PlanPrice.objects.create(
        plan=plan, price=Decimal("1100.00"), effective_from=dt.date(2026, 12, 1)
    )


@pytest.fixture
def offer(today, auto_renew_on, manager, price_rise):
    case, _ = services.case_open(contract=auto_renew_on)
    quote = services.quote_create(case=case, by=manager)
    services.quote_send(quote=quote, by=manager)
    quote.refresh_from_db()
    return quote


def _customer_client(client, contract, language):
    account = PortalAccountFactory(customer=contract.customer)
    account.user.language = language
    account.user.save(update_fields=["language"])
    client.force_login(account.user)
    return client


def _successor(contract) -> Contract:
    return Contract.objects.get(predecessor=contract)


# --- what the pages say ----------------------------------------------------------------------


@pytest.mark.parametrize(("language", "sentence"), [("en", OFFER_EN), ("zh-hans", OFFER_ZH)])
def test_the_portal_renewal_page_says_what_signing_changes_and_what_happens_otherwise(
    client, auto_renew_on, offer, language, sentence
):
    assert _successor(auto_renew_on).status == S.AWAITING_SIGNATURE
    customer = _customer_client(client, auto_renew_on, language)
    page = customer.get(reverse("portal:renewal", args=[auto_renew_on.pk]))

    assert page.context["can_sign"]
    text = _text(page)
    assert sentence in text
    # beside the signing form, where she decides
    sign_box = page.content.decode().split('id="sign"', 1)[1]
    assert 'id="auto-renewal-outlook"' in sign_box.split("</form>", 1)[0]


@pytest.mark.parametrize(("language", "sentence"), [("en", OFFER_EN), ("zh-hans", OFFER_ZH)])
def test_the_portal_dashboard_says_it_on_the_contract_with_automatic_renewal_on(
    client, auto_renew_on, offer, language, sentence
):
    customer = _customer_client(client, auto_renew_on, language)
    body = customer.get(reverse("portal:home")).content.decode()

    cards = body.split('class="portal-card portal-card-link"')
    (card,) = [c for c in cards if auto_renew_on.number in c.split("</span>", 1)[0]]
    assert sentence in " ".join(re.sub(r"<[^>]+>", "", card).split())
    # said once, on the running contract (not on the offer's own card)
    assert _text(customer.get(reverse("portal:home"))).count(sentence) == 1


def test_the_amount_is_the_automatic_renewals_price_with_the_member_discount_too(
    today, auto_renew_on, offer, monkeypatch
):
    """The outlook prices like the automatic renewal: the price list on the next term's
    start and the member's loyalty benefits (here a level's 10% renewal discount)."""
    outlook = auto_renewal_outlook(auto_renew_on, today=today)
    assert outlook is not None and outlook.price is not None
    assert (outlook.price.total, outlook.price.months) == (Decimal("13200.00"), 12)
    assert (outlook.price.start, outlook.price.end) == (NEXT_START, dt.date(2027, 12, 31))

    class TenPercent:
        benefits = ["level discount"]
        services: list = []
        discount_percent = Decimal("10")

    monkeypatch.setattr(
        "lifecycle.auto_renewal_outlook.renewal_benefits_preview", lambda **kwargs: TenPercent()
    )
    outlook = auto_renewal_outlook(auto_renew_on, today=today)
    assert outlook is not None and outlook.price is not None
    assert outlook.price.total == Decimal("11880.00")


class _TenPercent:
    """A member level's 10% renewal discount, as loyalty.services.renewal_benefits_preview
    returns it."""

    benefits = ["level discount"]
    services: list = []
    discount_percent = Decimal("10")


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        (
            "en",
            "on 1 Jan 2027 your contract renews automatically for 12 months at CNY 11,880.00 "
            "(today's price list, with your member benefits).",
        ),
        (
            "zh-hans",
            "您的合同将于2027年1月1日按今日价目表价格（已含您的会员优惠） CNY 11,880.00 "
            "自动续约 12 个月。",
        ),
    ],
)
def test_a_price_with_the_member_discount_is_not_called_the_current_price(
    client, today, auto_renew_on, offer, monkeypatch, language, sentence
):
    # given a member whose automatic renewal takes 10% off today's price list (13,200)
    monkeypatch.setattr(
        "lifecycle.auto_renewal_outlook.renewal_benefits_preview", lambda **kwargs: _TenPercent()
    )
    outlook = auto_renewal_outlook(auto_renew_on, today=today)
    assert outlook is not None and outlook.price is not None and outlook.price.member_benefits
    # when she reads her renewal page
    customer = _customer_client(client, auto_renew_on, language)
    text = _text(customer.get(reverse("portal:renewal", args=[auto_renew_on.pk])))
    # then the price says where it comes from
    assert sentence in text
    assert "(the current price)" not in text and "按当前价格" not in text


@pytest.mark.parametrize(
    ("language", "basis"),
    [("en", "(today's price list, with the member's benefits)"), ("zh-hans", "按今日价目表价格")],
)
def test_the_staff_case_page_does_not_call_a_member_price_the_current_price(
    client, manager, auto_renew_on, offer, monkeypatch, language, basis
):
    monkeypatch.setattr(
        "lifecycle.auto_renewal_outlook.renewal_benefits_preview", lambda **kwargs: _TenPercent()
    )
    manager.language = language
    manager.save(update_fields=["language"])
    client.force_login(manager)
    case = RenewalCase.objects.get(contract=auto_renew_on)
    body = client.get(reverse("renewals:case", args=[case.pk])).content.decode()
    outlook = body.split('id="auto-renewal-outlook"', 1)[1].split("</div>", 1)[0]

    assert "CNY 11,880.00" in outlook and basis in outlook
    assert "(the current price)" not in outlook and "按当前价格" not in outlook


def test_without_an_offer_the_renewal_page_says_what_happens_if_she_does_nothing(
    client, today, auto_renew_on, price_rise
):
    customer = _customer_client(client, auto_renew_on, "en")
    text = _text(customer.get(reverse("portal:renewal", args=[auto_renew_on.pk])))

    assert (
        "Automatic renewal is on: if you do nothing, on 1 Jan 2027 your contract renews "
        "automatically for 12 months at CNY 13,200.00 (the current price)."
    ) in text
    assert "If you sign this offer" not in text


def test_with_automatic_renewal_off_or_without_consent_nothing_is_promised(
    client, today, renewing_contract, offer
):
    # Automatic renewal on without any consent on record: it would not run.
    Contract.objects.filter(pk=renewing_contract.pk).update(auto_renew=True)
    renewing_contract.consents.all().delete()
    customer = _customer_client(client, renewing_contract, "en")
    text = _text(customer.get(reverse("portal:renewal", args=[renewing_contract.pk])))
    assert "renews automatically" not in text
    assert "replaces the automatic renewal" not in text


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_staff_case_page_shows_the_manager_the_same_fact(
    client, manager, auto_renew_on, offer, language
):
    manager.language = language
    manager.save(update_fields=["language"])
    client.force_login(manager)
    case = RenewalCase.objects.get(contract=auto_renew_on)
    number = _successor(auto_renew_on).number
    text = _text(client.get(reverse("renewals:case", args=[case.pk])))

    expected = {
        "en": (
            f"Automatic renewal is on. If the customer signs {number}, it replaces the "
            "automatic renewal. If it is not signed by 31 Dec 2026, it is voided and on "
            "1 Jan 2027 the contract renews automatically for 12 months at CNY 13,200.00 "
            "(the current price)."
        ),
        "zh-hans": (
            f"自动续约已开启。如果客户签署 {number}，它将取代自动续约。如果在 2026年12月31日 前"
            "未签署，它将被作废，合同将于 2027年1月1日 按当前价格 CNY 13,200.00 自动续约 "
            "12 个月。"
        ),
    }[language]
    assert expected in text


def test_after_signing_the_pages_say_the_signed_renewal_replaces_the_automatic_one(
    client, manager, auto_renew_on, offer
):
    services.quote_sign_online(
        quote=offer,
        full_name="王小明",
        accepted=True,
        document_sha256=offer.contract_document.sha256,
    )
    customer = _customer_client(client, auto_renew_on, "en")
    text = _text(customer.get(reverse("portal:renewal", args=[auto_renew_on.pk])))
    assert SIGNED_EN in text
    assert "renews automatically" not in text

    client.force_login(manager)
    case = RenewalCase.objects.get(contract=auto_renew_on)
    staff = _text(client.get(reverse("renewals:case", args=[case.pk])))
    assert "the automatic renewal will not run" in staff


@pytest.mark.parametrize(
    ("language", "takes_over", "renews"),
    [
        (
            "en",
            "You signed the renewal {n}: it takes over when this term ends on",
            "The contract renews when its term ends",
        ),
        ("zh-hans", "您已签署续约合同 {n}：本期于", "期满时续约"),
    ],
)
def test_after_signing_the_automatic_renewal_card_does_not_say_the_contract_renews_itself(
    client, auto_renew_on, offer, language, takes_over, renews
):
    services.quote_sign_online(
        quote=offer,
        full_name="王小明",
        accepted=True,
        document_sha256=offer.contract_document.sha256,
    )
    successor = _successor(auto_renew_on)
    customer = _customer_client(client, auto_renew_on, language)
    body = customer.get(reverse("portal:contract-detail", args=[auto_renew_on.pk])).content
    card = body.decode().split('id="automatic-renewal"', 1)[1].split("</section>", 1)[0]
    text = " ".join(re.sub(r"<[^>]+>", "", card).split())

    assert takes_over.format(n=successor.number) in text
    assert renews not in text
    # the new contract is one tap away, and the switch (this contract's own) stays
    assert f'href="{reverse("portal:contract-detail", args=[successor.pk])}"' in card
    assert reverse("portal:auto-renewal", args=[auto_renew_on.pk]) in card


# --- what the lifecycle does -------------------------------------------------------------------


def test_signing_the_offer_prevents_the_automatic_renewal(
    today, auto_renew_on, offer, notice_delivered, sent_messages
):
    services.quote_sign_online(
        quote=offer,
        full_name="王小明",
        accepted=True,
        document_sha256=offer.contract_document.sha256,
    )
    signed = _successor(auto_renew_on)
    assert signed.status == S.AWAITING_PAYMENT
    assert auto_renew_on.auto_renew  # still on: the signature, not the switch, decides

    report = process_contract_ends(as_of=TERM_END)

    assert report.auto_renewed == 0
    auto_renew_on.refresh_from_db()
    signed.refresh_from_db()
    assert not auto_renew_on.events.filter(kind="auto_renewed").exists()
    assert signed.status == S.AWAITING_PAYMENT  # the signed renewal stands
    assert list(Contract.objects.filter(predecessor=auto_renew_on)) == [signed]


def test_an_unsigned_offer_is_voided_and_the_contract_renews_at_the_price_the_page_showed(
    today, auto_renew_on, offer, notice_delivered, sent_messages
):
    unsigned = _successor(auto_renew_on)
    outlook = auto_renewal_outlook(auto_renew_on, today=today)
    assert outlook is not None and outlook.offer == unsigned and outlook.price is not None

    report = process_contract_ends(as_of=TERM_END)

    assert report.auto_renewed == 1
    unsigned.refresh_from_db()
    assert unsigned.status == S.VOID
    renewed = _successor(auto_renew_on)
    assert renewed.pk != unsigned.pk
    assert (renewed.start_date, renewed.end_date) == (outlook.price.start, outlook.price.end)
    assert renewed.total_amount == outlook.price.total == Decimal("13200.00")
