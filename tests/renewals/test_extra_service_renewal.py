"""A level's extra service on the member's renewal quote (issue 16 point 3): the service is
a complimentary line (its product at price 0) with its reason on the quote's pages and
PDF; staff keep it through revisions unless they remove it; and the line that becomes a
line of the successor contract is, at the next renewal, neither charged in full nor
carried over free: it comes back only through the privilege, once."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from decimal import Decimal
from types import SimpleNamespace

import pytest
import time_machine
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from billing.models import Invoice
from billing.services import payment_record
from contracts.models import ContractLine, ContractStatus
from lifecycle.contract_ends import process_contract_ends
from loyalty.models import EntryKind, Level, PointsEntry, Privilege, PrivilegeKind, QuoteBenefit
from renewals import services
from renewals.documents import quote_pdf_bytes
from renewals.models import Quote, RenewalCase
from renewals.selectors import quote_diff
from renewals.services.quote_pricing import renewal_lines_at_current_prices
from tests.factories import PlanFactory

from .conftest import TERM_END

pytestmark = pytest.mark.django_db

REASON_EN = (
    "Included free of charge: A system health check every quarter, member extra service (Gold)"
)
REASON_ZH = "免费提供：每季度一次系统健康检查（金卡专享服务）"


def _travel(day: dt.date):
    return time_machine.travel(dt.datetime.combine(day, dt.time(10, 0), tzinfo=dt.UTC), tick=False)


@pytest.fixture
def health_check(db):
    return PlanFactory(
        code="SVC-HEALTH", name="系统健康检查", price=Decimal("800.00"), billing_period="quarterly"
    )


@pytest.fixture
def gold(db, health_check):
    gold = Level.objects.create(code="gold", name="金卡", name_en="Gold", min_points=1000)
    Privilege.objects.create(
        level=gold, kind=PrivilegeKind.RENEWAL_DISCOUNT, discount_percent=Decimal("5")
    )
    Privilege.objects.create(
        level=gold,
        kind=PrivilegeKind.EXTRA_SERVICE,
        plan=health_check,
        quantity=Decimal("1"),
        description="每季度一次系统健康检查",
        description_en="A system health check every quarter",
    )
    return gold


def _points(customer, on: dt.date, points: int = 1200) -> None:
    PointsEntry.objects.create(
        customer=customer, kind=EntryKind.ADJUST, points=points, on=on, reason="test"
    )


def _quote(contract, manager, day: dt.date = dt.date(2026, 11, 21)) -> Quote:
    with _travel(day):
        case, _ = services.case_open(contract=contract, by=manager)
        return services.quote_create(case=case, by=manager)


def _free_lines(quote, plan):
    return list(quote.lines.filter(plan=plan, unit_price=0))


def _renewed(contract, manager, quote):
    """Send, sign and pay ``quote``; the day after the end the successor is active."""
    with _travel(dt.date(2026, 11, 21)):
        services.quote_send(quote=quote, by=manager)
        quote.refresh_from_db()
        services.quote_sign_online(
            quote=quote,
            full_name="王小明",
            accepted=True,
            document_sha256=quote.contract_document.sha256,
            ip_address="203.0.113.7",
            user_agent="pytest",
        )
        successor = RenewalCase.objects.get(pk=quote.case_id).successor
        invoice = Invoice.objects.get(contract=successor)
        payment_record(
            invoice=invoice,
            amount=invoice.amount,
            method="bank_transfer",
            reference="BOC-1",
            by=manager,
        )
    day_after = TERM_END + dt.timedelta(days=1)
    with _travel(day_after):
        process_contract_ends(as_of=day_after)
    successor.refresh_from_db()
    assert successor.status == ContractStatus.ACTIVE
    return successor


# --- the first quote -----------------------------------------------------------------------


def test_a_gold_members_quote_gets_the_service_as_a_complimentary_line(
    renewing_contract, manager, gold, health_check
):
    _points(renewing_contract.customer, dt.date(2026, 6, 1))

    quote = _quote(renewing_contract, manager)

    (free,) = _free_lines(quote, health_check)
    assert free.quantity == Decimal("1") and free.unit_price == Decimal("0.00")
    assert free.amount == Decimal("0.00") and free.source_line_id is None
    # in the customer's language (zh-hans), saying it is the level's privilege
    assert free.description == "每季度一次系统健康检查（会员礼遇·金卡，免费）"
    # the 5% discount takes nothing off a 0 line: the totals are the paid line's
    assert quote.subtotal == Decimal("12000.00")
    assert quote.discount_amount == Decimal("600.00")
    assert quote.total == Decimal("11400.00")
    assert isinstance(quote.total, Decimal)
    service = QuoteBenefit.objects.get(quote_ref=quote.number, plan=health_check)
    assert service.quantity == Decimal("1") and service.discount_percent == Decimal("0")


def test_an_english_customer_gets_the_line_in_english(renewing_contract, manager, gold):
    renewing_contract.customer.language = "en"
    renewing_contract.customer.save(update_fields=["language"])
    _points(renewing_contract.customer, dt.date(2026, 6, 1))

    quote = _quote(renewing_contract, manager)

    assert quote.lines.filter(
        description="A system health check every quarter "
        "(complimentary: member privilege of the Gold level)"
    ).exists()


def test_a_customer_without_the_level_gets_no_service(
    renewing_contract, manager, gold, health_check
):
    _points(renewing_contract.customer, dt.date(2026, 6, 1), points=500)

    quote = _quote(renewing_contract, manager)

    assert not quote.lines.filter(plan=health_check).exists()
    assert not QuoteBenefit.objects.filter(quote_ref=quote.number).exists()


def test_the_reason_is_on_the_difference_table_in_both_languages(renewing_contract, manager, gold):
    _points(renewing_contract.customer, dt.date(2026, 6, 1))
    quote = _quote(renewing_contract, manager)

    for language, reason in (("en", REASON_EN), ("zh-hans", REASON_ZH)):
        with translation.override(language):
            html = render_to_string(
                "renewals/_diff_table.html", {"quote": quote, "diff": quote_diff(quote=quote)}
            )
        assert reason in html, language


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils missing")
def test_the_reason_is_printed_on_the_quote_pdf(renewing_contract, manager, gold, tmp_path):
    _points(renewing_contract.customer, dt.date(2026, 6, 1))
    quote = _quote(renewing_contract, manager)

    path = tmp_path / "quote.pdf"
    path.write_bytes(quote_pdf_bytes(quote=quote, language="en"))
    pdftotext = shutil.which("pdftotext") or "pdftotext"
    text = subprocess.run(  # noqa: S603 (fixed tool, our own file)
        [pdftotext, str(path), "-"], capture_output=True, text=True, check=True
    ).stdout

    flat = " ".join(text.split())
    assert "Included free of charge" in flat
    assert "member extra service (Gold)" in flat


# --- revisions ---------------------------------------------------------------------------


def test_a_revision_that_does_not_touch_the_lines_keeps_the_service(
    renewing_contract, manager, gold, health_check
):
    _points(renewing_contract.customer, dt.date(2026, 6, 1))
    quote = _quote(renewing_contract, manager)

    with _travel(dt.date(2026, 11, 21)):
        quote = services.quote_update(quote=quote, by=manager, installments=2)

    assert len(_free_lines(quote, health_check)) == 1
    assert quote.total == Decimal("11400.00")


def test_the_staff_quote_builder_keeps_the_service_unless_it_is_removed(
    client, renewing_contract, manager, gold, health_check
):
    _points(renewing_contract.customer, dt.date(2026, 6, 1))
    quote = _quote(renewing_contract, manager)
    client.force_login(manager)
    url = reverse("renewals:quote-edit", args=[quote.case_id])

    def post(*, delete_service: bool):
        with _travel(dt.date(2026, 11, 21)):
            page = client.get(url)
            initial = page.context["formset"].initial
            data = {
                "lines-TOTAL_FORMS": str(len(initial)),
                "lines-INITIAL_FORMS": str(len(initial)),
                "lines-MIN_NUM_FORMS": "1",
                "lines-MAX_NUM_FORMS": "50",
                "term_months": "12",
                "terms_version": "",
                "discount_percent": "5",
                "installments": "1",
                "note": "",
            }
            for i, row in enumerate(initial):
                for name, value in row.items():
                    data[f"lines-{i}-{name}"] = "" if value is None else str(value)
                if delete_service and row["plan"] == health_check.pk:
                    data[f"lines-{i}-DELETE"] = "on"
            response = client.post(url, data)
        assert response.status_code == 302, response.content.decode()[:2000]
        quote.refresh_from_db()

    # saved as shown: the complimentary line is still there, free
    post(delete_service=False)
    assert len(_free_lines(quote, health_check)) == 1
    assert quote.total == Decimal("11400.00")

    # removed on purpose: gone, and its reason no longer shown
    post(delete_service=True)
    assert not quote.lines.filter(plan=health_check).exists()
    with translation.override("en"):
        html = render_to_string(
            "renewals/_diff_table.html", {"quote": quote, "diff": quote_diff(quote=quote)}
        )
    assert "Included free of charge" not in html
    assert "member renewal discount (Gold)" in html


def test_a_downgrade_granted_later_keeps_the_service(
    renewing_contract, manager, gold, health_check
):
    _points(renewing_contract.customer, dt.date(2026, 6, 1))
    quote = _quote(renewing_contract, manager)
    basic = PlanFactory(code="BASIC", name="基础版", price=Decimal("600.00"))
    # what retention's grant carries for a downgrade (the service reads these fields)
    grant = SimpleNamespace(kind="downgrade", plan_id=basic.pk, plan=basic)

    with _travel(dt.date(2026, 11, 21)):
        assert services.quote_apply_grant(quote=quote, grant=grant, by=manager)

    quote.refresh_from_db()
    assert quote.lines.filter(plan=basic).count() == 1
    assert len(_free_lines(quote, health_check)) == 1
    assert quote.subtotal == Decimal("7200.00")


# --- the next renewal ----------------------------------------------------------------------


def test_the_complimentary_line_becomes_a_free_line_of_the_successor(
    renewing_contract, manager, gold, health_check
):
    _points(renewing_contract.customer, dt.date(2026, 6, 1))
    quote = _quote(renewing_contract, manager)

    successor = _renewed(renewing_contract, manager, quote)

    (line,) = successor.lines.filter(plan=health_check)
    assert line.unit_price == Decimal("0.00")
    assert Invoice.objects.get(contract=successor).amount == Decimal("11400.00")


def test_at_the_next_renewal_a_member_still_at_the_level_gets_the_line_once_again(
    renewing_contract, manager, gold, health_check
):
    customer = renewing_contract.customer
    _points(customer, dt.date(2026, 6, 1))
    successor = _renewed(renewing_contract, manager, _quote(renewing_contract, manager))
    old_free = successor.lines.get(plan=health_check)
    _points(customer, dt.date(2027, 6, 1))  # still gold in November 2027

    quote = _quote(successor, manager, day=dt.date(2027, 11, 21))

    # once, free, continuing the current free line (not removed and added again)
    (free,) = quote.lines.filter(plan=health_check)
    assert free.unit_price == Decimal("0.00") and free.source_line_id == old_free.pk
    assert quote.subtotal == Decimal("12000.00")  # the paid line at the price list only
    assert QuoteBenefit.objects.filter(quote_ref=quote.number, plan=health_check).count() == 1
    rows = {row.description: row.status for row in quote_diff(quote=quote).lines}
    assert rows[free.description] == "unchanged"
    assert "removed" not in rows.values()


def test_at_the_next_renewal_a_member_who_lost_the_level_loses_the_line_and_its_reason(
    renewing_contract, manager, gold, health_check
):
    customer = renewing_contract.customer
    _points(customer, dt.date(2026, 6, 1))  # out of the 12-month window by November 2027
    successor = _renewed(renewing_contract, manager, _quote(renewing_contract, manager))

    # what an automatic renewal or a quote would take over: the paid line only
    specs = renewal_lines_at_current_prices(
        contract=successor, start=dt.date(2028, 1, 1), months=12
    )
    assert [(s.plan, s.unit_price) for s in specs] == [(renewing_contract.plan, Decimal("12000"))]

    quote = _quote(successor, manager, day=dt.date(2027, 11, 21))

    # neither charged at the price list nor carried over free
    assert not quote.lines.filter(plan=health_check).exists()
    assert quote.subtotal == Decimal("12000.00") and quote.total == Decimal("12000.00")
    assert not QuoteBenefit.objects.filter(quote_ref=quote.number).exists()
    rows = quote_diff(quote=quote).lines
    assert [r.status for r in rows if r.new_quantity is None] == ["removed"]
    with translation.override("en"):
        html = render_to_string(
            "renewals/_diff_table.html", {"quote": quote, "diff": quote_diff(quote=quote)}
        )
    assert "Member benefit" not in html


def test_a_single_paid_line_without_a_product_is_still_priced_from_the_contracts_plan(
    renewing_contract, manager, gold, health_check
):
    """The free line does not count as a second line: a contract with a plan and one
    line of its own is still repriced from the plan."""
    _points(renewing_contract.customer, dt.date(2026, 6, 1))
    successor = _renewed(renewing_contract, manager, _quote(renewing_contract, manager))
    ContractLine.objects.filter(contract=successor, plan=renewing_contract.plan).update(
        plan=None, unit_price=Decimal("9999.00")
    )
    successor.plan = renewing_contract.plan
    successor.save(update_fields=["plan"])

    specs = renewal_lines_at_current_prices(
        contract=successor, start=dt.date(2028, 1, 1), months=12
    )

    assert [(s.plan, s.unit_price) for s in specs] == [(renewing_contract.plan, Decimal("12000"))]
