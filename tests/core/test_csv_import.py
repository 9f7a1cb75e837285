"""core.csv_import: what every CSV import shares (the importers have their own tests)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from contracts.importers import contracts_import_csv
from contracts.models import Contract
from core.csv_import import csv_read
from tests.factories import CustomerFactory

CONTRACTS_HEADER = (
    "number,customer_code,plan_code,start_date,end_date,amount,currency,"
    "billing_period,auto_renew,notice_period_days\n"
)
GOOD_CONTRACT = "HT-N-1,C001,,2026-01-01,2026-12-31,1200.00,CNY,monthly,false,30\n"


def test_it_reports_each_field_holding_a_nul_character_and_leaves_the_row_out():
    data = "a,b,c\n1,2,3\nx\x00,y,z\x00\n4,5,6\n"

    rows, errors = csv_read(data, columns=("a", "b", "c"))

    assert [r.line for r in rows] == [2, 4]
    assert [(e.line, e.column) for e in errors] == [(3, "a"), (3, "c")]


def test_the_nul_message_is_translated():
    with translation.override("zh-hans"):
        _rows, errors = csv_read("a\n\x00\n", columns=("a",))

    assert "NUL" in errors[0].message
    assert "This field" not in errors[0].message


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("row", "column"),
    [
        ("HT-N-2,C0\x0001,,2026-01-01,2026-12-31,1200.00,CNY,monthly,false,30\n", "customer_code"),
        ("HT-\x00N-2,C001,,2026-01-01,2026-12-31,1200.00,CNY,monthly,false,30\n", "number"),
        ("HT-N-2,C001,P\x00,2026-01-01,2026-12-31,1200.00,CNY,monthly,false,30\n", "plan_code"),
        ("HT-N-2,C001,,2026-01-01,2026-12-31,12\x00,CNY,monthly,false,30\n", "amount"),
    ],
)
def test_the_contracts_import_reports_a_nul_character_with_line_and_field(row, column):
    CustomerFactory(code="C001")
    data = CONTRACTS_HEADER + GOOD_CONTRACT + row

    report = contracts_import_csv(source=data.encode())

    assert [(e.line, e.column) for e in report.errors] == [(3, column)]
    assert not Contract.objects.exists()


@pytest.mark.django_db
def test_a_row_with_nul_in_two_fields_counts_as_one_row():
    CustomerFactory(code="C001")
    row = "HT-\x00N-2,C0\x0001,,2026-01-01,2026-12-31,1200.00,CNY,monthly,false,30\n"

    report = contracts_import_csv(source=(CONTRACTS_HEADER + GOOD_CONTRACT + row).encode())

    assert [(e.line, e.column) for e in report.errors] == [(3, "number"), (3, "customer_code")]
    assert report.rows == 2


@pytest.mark.django_db
def test_the_contracts_command_reports_a_nul_character_instead_of_crashing(tmp_path, capsys):
    CustomerFactory(code="C001")
    path = tmp_path / "contracts.csv"
    path.write_bytes((CONTRACTS_HEADER + GOOD_CONTRACT.replace("C001", "C\x00001")).encode())

    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_contracts", str(path))

    assert "line 2, customer_code: " in capsys.readouterr().err
