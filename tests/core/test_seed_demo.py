from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.management import call_command
from django.db import transaction

from billing.models import Invoice, Payment
from contracts.models import AutoRenewConsent, Contract, ContractEvent, Plan, PlanPrice
from core.models import User
from customers.models import Customer, PortalAccount
from insights.models import Feedback
from renewals.models import RenewalCase

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
        "renewal cases": list(
            RenewalCase.objects.order_by("contract__number").values_list(
                "contract__number",
                "owner__username",
                "stage",
                "loss_reason",
                "loss_note",
                "opened_at",
                "closed_at",
                "created_at",
                "updated_at",
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
    # 30 and the successors of the two renewals portal customers have in progress
    assert len(first["contracts"]) == 30 + 2
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
        # consent, cancellation request and renewal case ids differ between two runs;
        # whether there is one does not
        return [
            (
                *row[:5],
                {k: v for k, v in row[5].items() if k not in ("consent_id", "request", "case")},
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
    assert Contract.objects.count() == 120 + 2  # and two renewals in progress
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
    # not counting the successors of renewals the portal customers have in progress
    assert Contract.objects.filter(renewal_case_as_successor__isnull=True).count() == 5


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

    # Seed 4: a sample of 300 customers is noisy (seeds 1 to 6 show gaps of 0.07 to 0.26).
    _seed("--customers", "300", "--contracts", "900", "--seed", "4", "--bulk")
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


def test_every_expired_term_had_its_renewal_case_lost_with_a_reason():
    from insights.loss_reasons import RENEWAL, LossFilters, loss_facts

    _seed()

    expired = Contract.objects.filter(status="expired")
    cases = RenewalCase.objects.filter(contract__in=expired).select_related("contract")
    assert expired.count() >= 4
    assert cases.count() == expired.count()
    for case in cases:
        assert case.stage == "lost"
        assert case.opened_at < case.closed_at <= case.contract.ended_at
        assert case.loss_note or case.loss_reason == "no_response"
        events = list(case.contract.events.values_list("kind", flat=True))
        assert events[-3:] == ["renewal_opened", "renewal_lost", "expired"]
    assert {"price", "budget", "no_response", "competitor"} <= {c.loss_reason for c in cases}
    # The loss analysis has them, over several of the last twelve months.
    lead = User.objects.get(username="zhao.min")
    facts = [
        f for f in loss_facts(user=lead, filters=LossFilters(as_of=TODAY)) if f.source == RENEWAL
    ]
    assert sum(f.count for f in facts) >= 4
    assert len({f.month for f in facts}) >= 3


def test_the_demo_has_contact_cadences_so_the_daily_sweep_plans_contacts():
    from core.demo.contact_cadences import CADENCES
    from relations.contact_plans import contact_plan_sweep
    from relations.models import ContactCadence, PlannedContact

    _seed("--customers", "6", "--contracts", "12")

    assert set(ContactCadence.objects.values_list("tier", flat=True)) == {"A", "B", "C"}
    summary = contact_plan_sweep(as_of=TODAY)  # what scripts/run_local.sh runs at start
    assert summary.planned > 0 and summary.tasks == summary.planned
    assert PlannedContact.objects.filter(opens_on__lte=TODAY, task__isnull=False).exists()
    # A second run keeps the cadences as they are (an admin's edits too).
    ContactCadence.objects.filter(tier="C").update(every=3)
    _seed("--customers", "2", "--contracts", "4")
    assert ContactCadence.objects.count() == len(CADENCES)
    assert ContactCadence.objects.get(tier="C").every == 3


# --- what admins maintain, and the portal customers' flows ---------------------------------


def test_the_demo_has_retention_offers_reminder_rules_and_message_templates():
    from core.demo.message_templates import message_template_rows
    from notifications.models import MessageTemplate, PersonalOffer, ReminderRule
    from retention.models import RetentionOffer
    from retention.selectors import offer_for, offers_valid

    _seed("--customers", "6", "--contracts", "12")

    assert RetentionOffer.objects.count() >= 7
    assert offers_valid(today=TODAY).count() >= 6
    for tier in "ABC":
        for reason in ("price", "budget", "low_usage", "service_quality", "competitor"):
            assert offer_for(reason=reason, tier=tier, today=TODAY) is not None, (tier, reason)
    assert RetentionOffer.objects.filter(valid_until__lt=TODAY).exists()  # one ended
    assert RetentionOffer.objects.filter(valid_from__gt=TODAY).exists()  # one to come
    rules = dict(ReminderRule.objects.filter(plan=None).values_list("tier", "offsets"))
    assert rules == {"A": "60,30,15,7", "B": "30,15,7", "C": "30,15,7"}
    assert PersonalOffer.objects.filter(tier="A", is_active=True).count() == 2
    assert MessageTemplate.objects.count() == len(message_template_rows()) > 50


def _portal_by_label(prefix: str):
    from core.demo.logins import portal_logins

    found = [p for p in portal_logins() if p.label.startswith(prefix)]
    assert len(found) == 1, [p.label for p in portal_logins()]
    return found[0], Customer.objects.get(portal_accounts__user__email=found[0].email)


def test_the_portal_customers_are_in_the_states_the_list_claims(capsys):
    from billing.models import InvoiceStatus
    from renewals.models import RenewalCase, Stage
    from retention.models import Channel, Kind
    from retention.services import cancellation_submit

    call_command("seed_demo", "--customers", "8", "--contracts", "20", "--seed", "3")
    seeded = capsys.readouterr().out

    login, customer = _portal_by_label("ready to sign")
    case = RenewalCase.objects.get(contract__customer=customer, stage=Stage.QUOTE_SENT)
    assert case.successor.status == "awaiting_signature"
    assert case.quote.contract_document is not None
    assert case.contract.number in login.label

    login, customer = _portal_by_label("ready to pay")
    case = RenewalCase.objects.get(contract__customer=customer, stage=Stage.SIGNED)
    assert case.successor.status == "awaiting_payment"
    invoice = case.successor.invoices.get()
    assert invoice.status == InvoiceStatus.OPEN and invoice.amount > 0
    assert invoice.number in login.label

    login, customer = _portal_by_label("with a retention offer on cancel")
    number = re.search(r"cancel (HT-\d{4}-\d{6}),", login.label).group(1)
    contract = Contract.objects.get(number=number)
    assert contract.customer == customer
    request = cancellation_submit(
        contract=contract,
        kind=Kind.NON_RENEWAL,
        reason="price",  # the reason the label names
        by=customer.portal_accounts.get().user,
        channel=Channel.PORTAL,
        today=TODAY,
    )
    assert request.offer is not None
    assert request.status == "submitted"
    assert "reason “Price”" in login.label

    # One list: what the seed printed is what `make run` prints later (seed_demo --logins),
    # as long as nothing changed in between (here a cancellation was just submitted).
    call_command("seed_demo", "--logins")
    again = capsys.readouterr().out
    assert "ready to sign" in seeded and "ready to pay" in seeded
    for line in again.splitlines():
        if "with a retention offer" not in line:
            assert line in seeded.splitlines()


def test_the_logins_list_stays_true_after_the_customer_signed():
    from renewals.models import RenewalCase, Stage
    from renewals.services import quote_sign_online

    _seed("--customers", "4", "--contracts", "8")
    _login, customer = _portal_by_label("ready to sign")
    quote = RenewalCase.objects.get(contract__customer=customer, stage=Stage.QUOTE_SENT).quote

    quote_sign_online(
        quote=quote,
        full_name="Ann Li",
        accepted=True,
        document_sha256=quote.contract_document.sha256,
        user=customer.portal_accounts.get().user,
    )

    from core.demo.logins import portal_label

    assert portal_label(customer).startswith("ready to pay")


@pytest.mark.parametrize(
    "day", [dt.date(2027, 2, 28), dt.date(2028, 2, 29), dt.date(2028, 12, 31)], ids=str
)
def test_it_seeds_on_month_ends_and_leap_days(time_machine, day):
    from core.demo.logins import portal_logins
    from retention.selectors import offers_valid

    time_machine.move_to(dt.datetime.combine(day, dt.time(2, 0), tzinfo=dt.UTC), tick=False)

    _seed("--customers", "10", "--contracts", "30", "--seed", "9")

    labels = " ".join(p.label for p in portal_logins())
    assert "ready to sign" in labels and "ready to pay" in labels
    assert "with a retention offer on cancel" in labels
    assert offers_valid(today=day).count() >= 6
    for c in Contract.objects.all():
        assert c.start_date <= c.end_date
        if c.status == "active":
            assert c.start_date <= day <= c.end_date
        if c.status == "renewed":
            assert c.successor.start_date == c.end_date + dt.timedelta(days=1)
