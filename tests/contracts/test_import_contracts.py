from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from contracts.importers import contracts_import_csv
from contracts.models import AutoRenewConsent, Contract, ContractEvent, ContractLine
from contracts.services import contract_number_next
from tests.factories import ContractFactory, CustomerFactory, PlanFactory

pytestmark = pytest.mark.django_db

HEADER = (
    "number,customer_code,plan_code,start_date,end_date,amount,currency,"
    "billing_period,auto_renew,notice_period_days\n"
)
TODAY = dt.date(2026, 6, 15)


@pytest.fixture
def customer(manager):
    return CustomerFactory(code="C001", account_manager=manager)


@pytest.fixture
def plan(db):
    return PlanFactory(code="CLOUD-1T", name="云存储 1TB")


def _errors_by_line(report):
    by_line: dict[int | None, list[str]] = {}
    for error in report.errors:
        by_line.setdefault(error.line, []).append(f"{error.column}: {error.message}")
    return by_line


def test_it_derives_each_status_from_the_dates(customer, plan):
    data = (
        HEADER
        + "OLD-1,C001,CLOUD-1T,2024-01-01,2024-12-31,12000.00,CNY,monthly,false,30\n"
        + "NOW-1,C001,CLOUD-1T,2026-01-01,2026-12-31,12000,CNY,annual,true,30\n"
        + "NEXT-1,C001,,2027-01-01,2027-12-31,13000.50,cny,quarterly,FALSE,60\n"
        + "EDGE-1,C001,,2026-06-15,2026-06-15,10,CNY,monthly,false,0\n"
    )

    report = contracts_import_csv(source=data.encode(), today=TODAY)

    assert report.ok, report.errors
    assert report.created == 4
    statuses = dict(Contract.objects.values_list("number", "status"))
    assert statuses == {
        "OLD-1": "expired",
        "NOW-1": "active",
        "NEXT-1": "scheduled",
        "EDGE-1": "active",
    }
    now = Contract.objects.get(number="NOW-1")
    assert now.total_amount == Decimal("12000.00")
    assert now.owner == customer.account_manager
    assert now.plan == plan
    assert now.lines.get().description == "云存储 1TB"
    assert now.auto_renew is True
    consent = AutoRenewConsent.objects.get(contract=now)
    assert consent.channel == "import"
    nxt = Contract.objects.get(number="NEXT-1")
    assert (nxt.currency, nxt.billing_period, nxt.notice_period_days, nxt.plan) == (
        "CNY",
        "quarterly",
        60,
        None,
    )
    assert ContractEvent.objects.filter(kind="imported").count() == 4


def test_an_ended_term_marked_auto_renew_imports_as_expired_without_consent(customer):
    data = HEADER + "OLD-1,C001,,2024-01-01,2024-12-31,100,CNY,monthly,true,30\n"

    report = contracts_import_csv(source=data.encode(), today=TODAY)

    assert report.ok, report.errors
    old = Contract.objects.get(number="OLD-1")
    assert (old.status, old.auto_renew) == ("expired", False)
    assert not AutoRenewConsent.objects.exists()


def test_it_reports_every_bad_row_with_its_line_and_writes_nothing(customer, plan):
    ContractFactory(number="HT-TAKEN", customer=customer)
    good = "2026-01-01,2026-12-31,100,CNY,monthly,false,30"
    data = (
        HEADER
        + f"G1,C001,CLOUD-1T,{good}\n"  # 2 good
        + f",C001,,{good}\n"  # 3 missing number
        + f"G1,C001,,{good}\n"  # 4 duplicate in file
        + f"HT-TAKEN,C001,,{good}\n"  # 5 already in the database
        + f"X5,NOPE,,{good}\n"  # 6 unknown customer
        + f"X6,C001,NOPLAN,{good}\n"  # 7 unknown plan
        + "X7,C001,,2026/01/01,2026-12-31,100,CNY,monthly,false,30\n"  # 8 date format
        + "X8,C001,,2026-02-30,2026-12-31,100,CNY,monthly,false,30\n"  # 9 impossible date
        + "X9,C001,,2026-12-31,2026-01-01,100,CNY,monthly,false,30\n"  # 10 end before start
        + "X10,C001,,2026-01-01,2026-12-31,abc,CNY,monthly,false,30\n"  # 11 not an amount
        + "X11,C001,,2026-01-01,2026-12-31,0,CNY,monthly,false,30\n"  # 12 zero
        + "X12,C001,,2026-01-01,2026-12-31,-5,CNY,monthly,false,30\n"  # 13 negative
        + "X13,C001,,2026-01-01,2026-12-31,1.234,CNY,monthly,false,30\n"  # 14 3 decimals
        + 'X14,C001,,2026-01-01,2026-12-31,"1,000",CNY,monthly,false,30\n'  # 15 separator
        + "X15,C001,,2026-01-01,2026-12-31,100,XYZ,monthly,false,30\n"  # 16 currency
        + "X16,C001,,2026-01-01,2026-12-31,100,CNY,weekly,false,30\n"  # 17 period
        + "X17,C001,,2026-01-01,2026-12-31,100,CNY,monthly,yes,30\n"  # 18 auto_renew
        + "X18,C001,,2026-01-01,2026-12-31,100,CNY,monthly,false,-1\n"  # 19 notice
        + "X19,C001,,2026-01-01,2026-12-31,100,CNY,monthly,false,400\n"  # 20 notice range
        + "X20,C001,,2026-01-01,2026-12-31,NaN,CNY,monthly,false,30\n"  # 21 NaN
        + "X21,C001,,2026-01-01,2026-12-31,100,,monthly,false,30\n"  # 22 empty currency
        + "X22,C001,,2026-01-01,2026-12-31,100,CNY,monthly,false\n"  # 23 missing field
        + f"G2,C001,,{good}\n"  # 24 good
    )

    report = contracts_import_csv(source=data.encode(), today=TODAY)

    by_line = _errors_by_line(report)
    assert sorted(line for line in by_line if line) == list(range(3, 24))
    expected_columns = {
        3: "number",
        4: "number",
        5: "number",
        6: "customer_code",
        7: "plan_code",
        8: "start_date",
        9: "start_date",
        10: "end_date",
        11: "amount",
        12: "amount",
        13: "amount",
        14: "amount",
        15: "amount",
        16: "currency",
        17: "billing_period",
        18: "auto_renew",
        19: "notice_period_days",
        20: "notice_period_days",
        21: "amount",
        22: "currency",
    }
    for line, column in expected_columns.items():
        assert by_line[line][0].startswith(f"{column}:"), (line, by_line[line])
    assert "line 2" in by_line[4][0]
    # the dates are refused by the rule every contract follows (contract_dates_validate)
    assert by_line[10] == ["end_date: The end date must not be before the start date."]
    assert "fields" in by_line[23][0]
    assert list(Contract.objects.values_list("number", flat=True)) == ["HT-TAKEN"]
    assert not ContractEvent.objects.exists()


def test_it_refuses_an_extra_column():
    data = (
        HEADER.strip() + ",discount\n" + "A,C001,,2026-01-01,2026-12-31,1,CNY,monthly,false,0,5\n"
    )

    report = contracts_import_csv(source=data.encode(), today=TODAY)

    assert [e.line for e in report.errors] == [1, 1]
    assert "discount" in report.errors[0].message


def test_it_refuses_a_missing_column():
    header = HEADER.replace(",notice_period_days", "")

    report = contracts_import_csv(source=(header + "A\n").encode(), today=TODAY)

    assert "notice_period_days" in report.errors[0].message


def test_it_accepts_a_bom_and_crlf_line_endings(customer):
    data = "\ufeff" + HEADER.replace("\n", "\r\n")
    data += "A1,C001,,2026-01-01,2026-12-31,100,CNY,monthly,false,30\r\n"

    report = contracts_import_csv(source=data.encode(), today=TODAY)

    assert report.ok, report.errors
    assert Contract.objects.filter(number="A1").exists()


def test_a_dry_run_validates_and_writes_nothing(customer):
    data = HEADER + "A1,C001,,2026-01-01,2026-12-31,100,CNY,monthly,true,30\n"

    report = contracts_import_csv(source=data.encode(), today=TODAY, dry_run=True)

    assert report.ok
    assert report.created == 0
    assert not Contract.objects.exists()
    assert not ContractEvent.objects.exists()


def test_a_failure_while_writing_keeps_nothing(customer, monkeypatch):
    from contracts import import_rows, importers

    calls = []

    def flaky_import(**kwargs):
        calls.append(kwargs["spec"].number)
        if len(calls) == 2:
            ContractFactory(number=kwargs["spec"].number, customer=customer)  # taken meanwhile
        return import_rows.contract_import(**kwargs)

    monkeypatch.setattr(importers, "contract_import", flaky_import)
    data = HEADER + "".join(
        f"A{i},C001,,2026-01-01,2026-12-31,100,CNY,monthly,true,30\n" for i in range(1, 4)
    )

    report = contracts_import_csv(source=data.encode(), today=TODAY)

    assert not report.ok
    assert report.errors[0].line == 3
    assert not Contract.objects.exists()
    assert not AutoRenewConsent.objects.exists()


def test_imported_numbers_in_our_format_are_never_handed_out_again(customer):
    data = HEADER + "HT-2026-000050,C001,,2026-01-01,2026-12-31,100,CNY,monthly,false,30\n"

    contracts_import_csv(source=data.encode(), today=TODAY)

    assert contract_number_next(year=2026) == "HT-2026-000051"


def test_the_command_imports_relative_to_as_of(tmp_path, customer, capsys):
    path = tmp_path / "contracts.csv"
    path.write_text(
        HEADER + "A1,C001,,2026-01-01,2026-12-31,100,CNY,monthly,false,30\n", encoding="utf-8"
    )

    call_command("import_contracts", str(path), "--as-of", "2027-02-01")

    assert "Imported 1 row(s)" in capsys.readouterr().out
    assert Contract.objects.get(number="A1").status == "expired"


def test_the_command_fails_and_lists_every_bad_row(tmp_path, customer, capsys):
    path = tmp_path / "contracts.csv"
    path.write_text(
        HEADER
        + "A1,C404,,2026-01-01,2026-12-31,100,CNY,monthly,false,30\n"
        + "A2,C001,,2026-01-01,2026-12-31,100,CNY,monthly,maybe,30\n",
        encoding="utf-8",
    )

    with pytest.raises(CommandError):
        call_command("import_contracts", str(path))

    err = capsys.readouterr().err
    assert "line 2, customer_code" in err
    assert "line 3, auto_renew" in err
    assert not Contract.objects.exists()


def test_the_command_dry_run_writes_nothing(tmp_path, customer, capsys):
    path = tmp_path / "contracts.csv"
    path.write_text(
        HEADER + "A1,C001,,2026-01-01,2026-12-31,100,CNY,monthly,false,30\n", encoding="utf-8"
    )

    call_command("import_contracts", str(path), "--dry-run")

    assert "Dry run" in capsys.readouterr().out
    assert not Contract.objects.exists()


def _rows_written():
    contracts = list(
        Contract.objects.order_by("number").values(
            "number",
            "customer__code",
            "plan__code",
            "owner__username",
            "status",
            "start_date",
            "end_date",
            "billing_period",
            "currency",
            "total_amount",
            "annual_value",
            "auto_renew",
            "notice_period_days",
            "etf_kind",
            "etf_value",
            "refund_policy",
            "terms_version",
            "predecessor",
            "signed_at",
            "ended_at",
        )
    )
    lines = list(
        ContractLine.objects.order_by("contract__number").values(
            "contract__number", "plan__code", "description", "quantity", "unit_price", "position"
        )
    )
    events = [
        (
            e.contract.number,
            e.kind,
            e.from_status,
            e.to_status,
            e.actor_id,
            e.reason,
            {k: v for k, v in e.payload.items() if k != "consent_id"},
            "consent_id" in e.payload,
        )
        for e in ContractEvent.objects.select_related("contract").order_by("contract__number", "id")
    ]
    consents = list(
        AutoRenewConsent.objects.order_by("contract__number").values(
            "contract__number",
            "customer__code",
            "enabled",
            "text",
            "text_version",
            "channel",
            "actor",
            "ip_address",
            "user_agent",
        )
    )
    return contracts, lines, events, consents


def test_the_bulk_path_writes_the_same_rows_as_contract_import(customer, plan, manager):
    from django.db import transaction

    plan.etf_kind, plan.etf_value, plan.refund_policy = "fixed", Decimal("500"), "pro_rata"
    plan.save()
    data = HEADER + "".join(
        f"R{i},C001,{'CLOUD-1T' if i % 2 else ''},{start},{end},{amount},CNY,"
        f"{period},{auto},{notice}\n"
        for i, (start, end, amount, period, auto, notice) in enumerate(
            [
                ("2024-01-01", "2024-12-31", "12000", "monthly", "false", "30"),
                ("2024-01-01", "2024-12-31", "12000", "monthly", "true", "30"),
                ("2026-01-01", "2026-12-31", "1234.56", "annual", "true", "60"),
                ("2026-03-01", "2026-08-31", "999.99", "quarterly", "false", "0"),
                ("2027-01-01", "2027-12-31", "88888.88", "annual", "true", "90"),
                ("2027-01-01", "2027-06-30", "1", "monthly", "false", "365"),
                ("2026-06-15", "2026-06-15", "10", "monthly", "true", "7"),
            ]
        )
    )

    class Rollback(Exception):
        pass

    written = []
    for bulk in (False, True):
        try:
            with transaction.atomic():
                report = contracts_import_csv(
                    source=data.encode(), today=TODAY, by=manager, bulk=bulk
                )
                assert report.ok and report.created == 7, report.errors
                written.append(_rows_written())
                raise Rollback
        except Rollback:
            pass

    through_service, in_bulk = written
    assert through_service[0] == in_bulk[0]
    assert through_service[1] == in_bulk[1]
    assert through_service[2] == in_bulk[2]
    assert through_service[3] == in_bulk[3]
    assert {c["status"] for c in in_bulk[0]} == {"expired", "active", "scheduled"}


def test_a_big_file_is_written_in_bulk(customer, monkeypatch):
    from contracts import importers

    def refuse(**kwargs):
        raise AssertionError("contract_import should not be called row by row")

    monkeypatch.setattr(importers, "contract_import", refuse)
    data = HEADER + "".join(
        f"B{i:05d},C001,,2026-01-01,2026-12-31,100,CNY,monthly,{'true' if i % 3 else 'false'},30\n"
        for i in range(importers.BULK_FROM)
    )
    seen = []

    report = contracts_import_csv(
        source=data.encode(), today=TODAY, progress=lambda *args: seen.append(args)
    )

    assert report.ok and report.created == importers.BULK_FROM
    assert Contract.objects.count() == importers.BULK_FROM
    assert ContractEvent.objects.filter(kind="imported").count() == importers.BULK_FROM
    assert AutoRenewConsent.objects.count() == Contract.objects.filter(auto_renew=True).count()
    assert ("write", importers.BULK_FROM, importers.BULK_FROM) in seen
