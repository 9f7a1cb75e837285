from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import transaction

from billing.models import Invoice, Payment
from contracts.models import AutoRenewConsent, Contract, ContractEvent, Plan, PlanPrice
from core.models import User
from customers.models import Customer, PortalAccount
from portal.models import Feedback

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 15, 4, 0, tzinfo=dt.UTC)  # 12:00 in Shanghai
TODAY = dt.date(2026, 6, 15)


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


def _seed(*args: str) -> None:
    call_command("seed_demo", *args, stdout=open("/dev/null", "w"))  # noqa: SIM115


def _snapshot() -> dict:
    return {
        "customers": list(
            Customer.objects.order_by("code").values_list(
                "code", "name", "kind", "language", "account_manager__username", "tier"
            )
        ),
        "contracts": list(
            Contract.objects.order_by("number").values_list(
                "number",
                "customer__code",
                "plan__code",
                "status",
                "start_date",
                "end_date",
                "total_amount",
                "auto_renew",
                "predecessor__number",
                "terms_version__version",
            )
        ),
        "events": list(
            ContractEvent.objects.order_by("contract__number", "id").values_list(
                "contract__number", "kind", "at", "to_status"
            )
        ),
        "consents": list(
            AutoRenewConsent.objects.order_by("id").values_list(
                "contract__number", "enabled", "channel", "at"
            )
        ),
        "invoices": list(
            Invoice.objects.order_by("number").values_list(
                "number",
                "contract__number",
                "kind",
                "status",
                "amount",
                "amount_paid",
                "installment_no",
                "issue_date",
                "due_date",
                "paid_at",
                "created_at",
            )
        ),
        "payments": list(
            Payment.objects.order_by("number").values_list(
                "number", "invoice__number", "amount", "method", "reference", "received_at"
            )
        ),
        "feedback": list(
            Feedback.objects.order_by("created_at", "contract__number", "subject").values_list(
                "customer__code",
                "contract__number",
                "category",
                "severity",
                "status",
                "created_at",
                "resolved_at",
            )
        ),
    }


def _seed_and_snapshot(*args: str) -> dict:
    """Seed, take a snapshot, and roll everything back (sequences included)."""

    class Rollback(Exception):
        pass

    snapshot: dict = {}
    try:
        with transaction.atomic():
            _seed(*args)
            snapshot.update(_snapshot())
            raise Rollback
    except Rollback:
        pass
    assert not Customer.objects.exists()
    return snapshot


def test_the_same_seed_gives_the_same_data():
    first = _seed_and_snapshot("--customers", "12", "--contracts", "30", "--seed", "7")
    second = _seed_and_snapshot("--customers", "12", "--contracts", "30", "--seed", "7")

    assert len(first["customers"]) == 12
    assert len(first["contracts"]) == 30
    assert first == second


def test_the_bulk_path_writes_the_same_data_as_the_services():
    args = ("--customers", "15", "--contracts", "50", "--seed", "11")
    through_services = _seed_and_snapshot(*args, "--no-bulk")
    in_bulk = _seed_and_snapshot(*args, "--bulk")

    assert through_services["contracts"] == in_bulk["contracts"]
    assert through_services["consents"] == in_bulk["consents"]
    assert through_services["events"] == in_bulk["events"]
    assert through_services["invoices"] == in_bulk["invoices"]
    assert through_services["feedback"] == in_bulk["feedback"]
    assert through_services == in_bulk


def test_the_bulk_path_writes_the_same_payloads_and_actors():
    args = ("--customers", "10", "--contracts", "30", "--seed", "4")

    def details():
        return list(
            ContractEvent.objects.order_by("contract__number", "id").values_list(
                "contract__number", "kind", "from_status", "actor__username", "reason", "payload"
            )
        )

    def normalise(rows):
        # consent and cancellation request ids differ between two runs; whether there is
        # one does not
        return [
            (
                *row[:5],
                {k: v for k, v in row[5].items() if k not in ("consent_id", "request")},
                "consent_id" in row[5],
            )
            for row in rows
        ]

    snapshots = []
    for mode in ("--no-bulk", "--bulk"):

        class Rollback(Exception):
            pass

        try:
            with transaction.atomic():
                _seed(*args, mode)
                snapshots.append(
                    (
                        normalise(details()),
                        list(
                            Contract.objects.order_by("number").values_list(
                                "number",
                                "owner__username",
                                "annual_value",
                                "currency",
                                "billing_period",
                                "notice_period_days",
                                "etf_kind",
                                "signed_at",
                                "ended_at",
                                "created_at",
                            )
                        ),
                        list(Customer.objects.order_by("code").values_list("code", "created_at")),
                    )
                )
                raise Rollback
        except Rollback:
            pass

    assert snapshots[0] == snapshots[1]


def test_another_seed_gives_other_data():
    first = _seed_and_snapshot("--customers", "12", "--contracts", "30", "--seed", "7")
    other = _seed_and_snapshot("--customers", "12", "--contracts", "30", "--seed", "8")

    assert first["customers"] != other["customers"]


def test_the_default_demo_has_every_part_of_the_story():
    _seed()

    assert Customer.objects.count() == 40
    assert Contract.objects.count() == 120
    statuses = set(Contract.objects.values_list("status", flat=True))
    assert {"active", "renewed", "expired", "scheduled", "terminated", "void"} <= statuses
    assert statuses & {"draft", "awaiting_signature", "awaiting_payment"}
    ending_soon = Contract.objects.filter(
        status="active", end_date__gte=TODAY, end_date__lte=TODAY + dt.timedelta(days=60)
    )
    assert ending_soon.count() >= 5
    assert Contract.objects.filter(predecessor__status="renewed").count() >= 10
    assert Contract.objects.filter(end_date__lt=TODAY).exists()
    assert Contract.objects.filter(start_date__gt=TODAY).exists()
    on = Contract.objects.filter(auto_renew=True)
    assert on.exists()
    assert all(c.consents.filter(enabled=True).exists() for c in on)
    assert AutoRenewConsent.objects.filter(channel="portal", ip_address__isnull=False).exists()


def test_both_languages_appear_in_names():
    _seed()

    names = list(Customer.objects.values_list("name", flat=True))
    assert any("有限公司" in n for n in names)
    assert any(n.isascii() for n in names)
    assert set(Customer.objects.values_list("language", flat=True)) == {"zh-hans", "en"}


def test_every_contract_has_its_events_in_the_order_they_happened():
    _seed("--customers", "15", "--contracts", "45", "--seed", "3")

    now = dt.datetime.now(dt.UTC)
    for contract in Contract.objects.prefetch_related("events"):
        events = list(contract.events.all())
        assert events[0].kind == "created"
        assert events[-1].to_status in ("", contract.status) or events[-1].kind.startswith(
            "auto_renew"
        )
        by_id = [e.pk for e in sorted(events, key=lambda e: e.pk)]
        by_time = [e.pk for e in sorted(events, key=lambda e: (e.at, e.pk))]
        assert by_id == by_time, contract.number
        assert all(e.at <= now for e in events)


def test_the_statuses_match_the_dates():
    _seed("--customers", "20", "--contracts", "60", "--seed", "5")

    for c in Contract.objects.all():
        if c.status == "active":
            assert c.start_date <= TODAY
        if c.status == "scheduled":
            assert c.start_date > TODAY
        if c.status == "expired":
            assert c.end_date < TODAY
        if c.status == "renewed":
            assert c.successor.start_date == c.end_date + dt.timedelta(days=1)


def test_it_creates_the_demo_users():
    _seed("--customers", "6", "--contracts", "6")

    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert admin.check_password("admin-pass-2026")
    lead = User.objects.get(username="zhao.min")
    assert lead.has_perm("core.view_all_books")
    managers = User.objects.filter(username__in=["wang.li", "chen.jie"])
    assert {m.team_lead for m in managers} == {lead}
    assert all(m.is_staff and m.check_password("demo-pass-2026") for m in managers)
    portal = PortalAccount.objects.select_related("user")
    assert portal.count() == 4
    assert all(a.user.email and not a.user.is_staff for a in portal)


def test_it_keeps_existing_users_and_their_passwords():
    User.objects.create_user("wang.li", password="my-own-password", is_staff=True)

    _seed("--customers", "2", "--contracts", "2")

    assert User.objects.get(username="wang.li").check_password("my-own-password")


def test_plans_have_a_price_rise_next_year():
    _seed("--customers", "1", "--contracts", "1")

    plan = Plan.objects.get(code="CLOUD-1T")
    assert plan.price_on(dt.date(2027, 1, 1)) > plan.price_on(TODAY)
    assert (
        PlanPrice.objects.filter(effective_from=dt.date(2027, 1, 1)).count() == Plan.objects.count()
    )


def test_tiers_are_computed_with_a_couple_of_overrides():
    _seed()

    assert Customer.objects.exclude(tier="C").exists()
    overridden = Customer.objects.exclude(tier_override="")
    assert overridden.count() == 2
    assert all(c.tier_override_reason and c.tier_override_by for c in overridden)


def test_if_empty_does_nothing_when_customers_exist(capsys):
    _seed("--customers", "1", "--contracts", "1")
    before = Contract.objects.count()

    call_command("seed_demo", "--if-empty")

    assert Contract.objects.count() == before
    assert Customer.objects.count() == 1
    assert "skipped" in capsys.readouterr().out


def test_a_second_run_adds_more_customers_with_new_codes():
    _seed("--customers", "3", "--contracts", "3")
    _seed("--customers", "2", "--contracts", "2")

    assert Customer.objects.count() == 5
    assert Contract.objects.count() == 5


def test_it_prints_the_demo_logins(capsys):
    call_command("seed_demo", "--customers", "4", "--contracts", "4")

    out = capsys.readouterr().out
    for expected in ["admin-pass-2026", "zhao.min", "wang.li", "chen.jie", "demo-pass-2026", "@"]:
        assert expected in out


def test_it_records_a_few_cancellation_requests_one_awaiting_the_manager():
    from retention.models import CancellationRequest

    _seed()

    requests = CancellationRequest.objects.select_related("contract__customer")
    assert requests.count() == 3
    assert {r.kind for r in requests} == {"early_termination", "non_renewal"}
    assert requests.filter(status="in_review").exists()
    assert not requests.filter(contract__customer__portal_accounts__isnull=False).exists()


def test_late_payers_and_complainers_renew_less_often():
    from django.db.models import Count, F, Q

    from contracts.models import ContractStatus as S

    _seed("--customers", "300", "--contracts", "900", "--seed", "5", "--bulk")
    late = Invoice.objects.filter(paid_at__date__gt=F("due_date")).values("customer")
    complained = Feedback.objects.values("customer")
    ended = Contract.objects.filter(
        status__in=[S.RENEWED, S.EXPIRED, S.TERMINATED], end_date__lt=TODAY
    )

    def renewal_rate(qs) -> float:
        counts = qs.aggregate(n=Count("id"), renewed=Count("id", filter=Q(status=S.RENEWED)))
        return counts["renewed"] / counts["n"]

    risky = ended.filter(Q(customer__in=late) | Q(customer__in=complained))
    others = ended.exclude(Q(customer__in=late) | Q(customer__in=complained))
    assert Invoice.objects.exists() and Payment.objects.exists() and Feedback.objects.exists()
    assert renewal_rate(risky) < renewal_rate(others) - 0.1
