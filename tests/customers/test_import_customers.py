from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from customers.importers import customers_import_csv
from customers.models import Contact, Customer
from tests.factories import CustomerFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

HEADER = "code,name,kind,contact_name,email,phone,language,account_manager\n"


@pytest.fixture
def wang(db):
    return StaffFactory(username="wang.li")


def _errors_by_line(report):
    by_line: dict[int | None, list[str]] = {}
    for error in report.errors:
        by_line.setdefault(error.line, []).append(f"{error.column}: {error.message}")
    return by_line


def test_it_imports_every_row_with_its_primary_contact_and_manager(wang):
    data = (
        HEADER
        + "C001,上海星河科技有限公司,company,王芳,wangfang@example.com,13812345678,"
        + "zh-hans,wang.li\n"
        + "C002,Emily Carter,individual,,emily@example.com,+44 20 7946 0000,en,\n"
    )

    report = customers_import_csv(source=data.encode())

    assert report.ok, report.errors
    assert (report.rows, report.created) == (2, 2)
    star = Customer.objects.get(code="C001")
    assert (star.name, star.kind, star.language, star.account_manager) == (
        "上海星河科技有限公司",
        "company",
        "zh-hans",
        wang,
    )
    contact = Contact.objects.get(customer=star)
    assert (contact.name, contact.email, contact.is_primary) == (
        "王芳",
        "wangfang@example.com",
        True,
    )
    assert Customer.objects.get(code="C002").account_manager is None


def test_it_accepts_a_utf8_file_with_a_byte_order_mark(wang):
    data = "\ufeff" + HEADER + "C001,星河,company,,,,zh-hans,wang.li\r\n"

    report = customers_import_csv(source=data.encode("utf-8"))

    assert report.ok, report.errors
    assert Customer.objects.filter(code="C001").exists()


def test_it_reports_every_bad_row_with_its_line_and_writes_nothing(wang):
    UserFactory(username="portal.only")  # not staff
    CustomerFactory(code="TAKEN")
    data = (
        HEADER
        + "GOOD1,Fine Ltd,company,,,,en,wang.li\n"  # line 2
        + ",No Code Ltd,company,,,,en,\n"  # 3 missing code
        + "BAD CODE,Spaces Ltd,company,,,,en,\n"  # 4 invalid code
        + "GOOD1,Twice Ltd,company,,,,en,\n"  # 5 duplicate in file
        + "TAKEN,Existing Ltd,company,,,,en,\n"  # 6 already in the database
        + "N1,,company,,,,en,\n"  # 7 missing name
        + "K1,Kind Ltd,partnership,,,,en,\n"  # 8 bad kind
        + "E1,Mail Ltd,company,,not-an-email,,en,\n"  # 9 bad email
        + "P1,Phone Ltd,company,,,call me,en,\n"  # 10 bad phone
        + "L1,Lang Ltd,company,,,,fr,\n"  # 11 bad language
        + "M1,Manager Ltd,company,,,,en,nobody\n"  # 12 unknown manager
        + "M2,Manager Ltd,company,,,,en,portal.only\n"  # 13 not a staff user
        + "F1,Fields Ltd,company,,,en,\n"  # 14 wrong number of fields
        + "GOOD2,Also Fine,individual,,,,zh-hans,\n"  # 15
    )

    report = customers_import_csv(source=data.encode())

    by_line = _errors_by_line(report)
    assert sorted(line for line in by_line if line) == list(range(3, 15))
    assert "code" in by_line[3][0]
    assert "line 2" in by_line[5][0]
    assert "exists" in by_line[6][0]
    assert by_line[8][0].startswith("kind:")
    assert by_line[9][0].startswith("email:")
    assert by_line[10][0].startswith("phone:")
    assert by_line[11][0].startswith("language:")
    assert "nobody" in by_line[12][0]
    assert "portal.only" in by_line[13][0]
    assert "fields" in by_line[14][0]
    assert not report.ok
    assert set(Customer.objects.values_list("code", flat=True)) == {"TAKEN"}


def test_it_reports_several_problems_on_one_row():
    data = HEADER + ",,robot,,x@,,xx,ghost\n"

    report = customers_import_csv(source=data.encode())

    assert {e.column for e in report.errors} == {
        "code",
        "name",
        "kind",
        "email",
        "language",
        "account_manager",
    }
    assert {e.line for e in report.errors} == {2}


def test_it_counts_physical_lines_when_a_quoted_field_spans_lines():
    data = HEADER + 'A1,"Two\nLines Ltd",company,,,,en,\n' + "A2,Bad,robot,,,,en,\n"

    report = customers_import_csv(source=data.encode())

    assert [(e.line, e.column) for e in report.errors] == [(4, "kind")]


@pytest.mark.parametrize(
    ("header", "fragment"),
    [
        ("code,name,kind,contact_name,email,phone,language\n", "Missing columns: account_manager"),
        (HEADER.strip() + ",vip\n", "Unexpected columns: vip"),
        ("code,code,kind,contact_name,email,phone,language,account_manager\n", "Repeated"),
        ("id;name;kind\n", "Missing columns"),
    ],
)
def test_it_refuses_a_wrong_header(header, fragment):
    report = customers_import_csv(source=(header + "C1,X,company,,,,en,\n").encode())

    assert not report.ok
    assert any(fragment in e.message for e in report.errors)
    assert all(e.line == 1 for e in report.errors)
    assert not Customer.objects.exists()


def test_it_accepts_the_columns_in_another_order(wang):
    data = (
        "name,code,kind,contact_name,email,phone,language,account_manager\n"
        "X Ltd,X1,company,,,,en,\n"
    )

    report = customers_import_csv(source=data.encode())

    assert report.ok, report.errors
    assert Customer.objects.get(code="X1").name == "X Ltd"


def test_it_refuses_a_file_that_is_not_utf8_and_names_the_lines():
    data = (HEADER + "C1,上海星河科技有限公司,company,,,,zh-hans,\n").encode("gb18030")

    report = customers_import_csv(source=data)

    assert [e.line for e in report.errors] == [2]
    assert "UTF-8" in report.errors[0].message
    assert not Customer.objects.exists()


@pytest.mark.parametrize("data", [b"", b"\n\n", HEADER.encode(), (HEADER + "\n\n").encode()])
def test_it_refuses_an_empty_file_or_a_header_without_rows(data):
    report = customers_import_csv(source=data)

    assert not report.ok
    assert not Customer.objects.exists()


def test_a_dry_run_validates_and_writes_nothing(wang):
    data = HEADER + "C001,星河,company,王芳,wf@example.com,,zh-hans,wang.li\n"

    report = customers_import_csv(source=data.encode(), dry_run=True)

    assert report.ok
    assert (report.rows, report.created) == (1, 0)
    assert not Customer.objects.exists()


def test_a_failure_while_writing_keeps_nothing(wang, monkeypatch):
    from customers import importers
    from customers import services as customer_services

    calls = []

    def flaky_create(**kwargs):
        calls.append(kwargs["code"])
        if len(calls) == 3:
            CustomerFactory(code=kwargs["code"])  # someone else took the code meanwhile
        return customer_services.customer_create(**kwargs)

    monkeypatch.setattr(importers, "customer_create", flaky_create)
    data = HEADER + "".join(f"C{i},Name {i},company,,,,en,\n" for i in range(1, 6))

    report = customers_import_csv(source=data.encode())

    assert not report.ok
    assert report.errors[0].line == 4
    assert report.created == 0
    assert not Customer.objects.exists()


def test_it_reports_progress_while_validating_and_writing(wang):
    data = HEADER + "".join(f"C{i},Name {i},company,,,,en,\n" for i in range(1, 4))
    seen = []

    customers_import_csv(source=data.encode(), progress=lambda *args: seen.append(args))

    assert ("validate", 3, 3) in seen
    assert ("write", 3, 3) in seen


def test_the_command_imports_and_prints_a_summary(tmp_path, wang, capsys):
    path = tmp_path / "customers.csv"
    path.write_text(HEADER + "C001,星河,company,,,,zh-hans,wang.li\n", encoding="utf-8")

    call_command("import_customers", str(path))

    assert "Imported 1 row(s)" in capsys.readouterr().out
    assert Customer.objects.filter(code="C001").exists()


def test_the_command_fails_with_every_bad_row_on_stderr(tmp_path, capsys):
    path = tmp_path / "customers.csv"
    path.write_text(HEADER + "C1,X,robot,,,,en,\nC2,Y,company,,,,xx,\n", encoding="utf-8")

    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_customers", str(path))

    err = capsys.readouterr().err
    assert "line 2, kind" in err
    assert "line 3, language" in err
    assert not Customer.objects.exists()


def test_the_command_dry_run_writes_nothing(tmp_path, capsys):
    path = tmp_path / "customers.csv"
    path.write_text(HEADER + "C1,X,company,,,,en,\n", encoding="utf-8")

    call_command("import_customers", str(path), "--dry-run")

    assert "Dry run" in capsys.readouterr().out
    assert not Customer.objects.exists()


def test_the_command_exits_non_zero_from_the_shell(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "customers.csv"
    path.write_text("wrong\n", encoding="utf-8")

    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "import_customers", str(path), "--dry-run"],
        capture_output=True,
        text=True,
        env={
            **__import__("os").environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
        },
        check=False,
    )

    assert result.returncode != 0
    assert "Missing columns" in result.stderr


def test_a_missing_file_is_a_clean_command_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_customers", str(tmp_path / "nope.csv"))


@pytest.mark.parametrize(
    ("row", "column"),
    [
        ("C\x001,Name Ltd,company,,,,en,\n", "code"),
        ("C1,Na\x00me Ltd,company,,,,en,\n", "name"),
        ("C1,Name Ltd,company,Li\x00,,,en,\n", "contact_name"),
        ("C1,Name Ltd,company,,,,en,wang\x00.li\n", "account_manager"),
    ],
)
def test_a_nul_character_is_reported_with_its_line_and_field(wang, row, column):
    data = HEADER + "GOOD1,Fine Ltd,company,,,,en,wang.li\n" + row

    report = customers_import_csv(source=data.encode())

    assert [(e.line, e.column) for e in report.errors] == [(3, column)]
    assert "NUL" in report.errors[0].message
    assert f"line 3, {column}: " in str(report.errors[0])
    assert not Customer.objects.exists()


def test_a_nul_character_in_the_header_is_reported_without_echoing_it():
    data = HEADER.replace("kind", "ki\x00nd") + "C1,X,company,,,,en,\n"

    report = customers_import_csv(source=data.encode())

    assert [(e.line, e.column) for e in report.errors] == [(1, "")]
    assert "column 3" in report.errors[0].message
    assert "\x00" not in report.errors[0].message


def test_the_command_reports_a_nul_character_instead_of_crashing(tmp_path, capsys):
    path = tmp_path / "customers.csv"
    path.write_bytes((HEADER + "C1,X\x00,company,,,,en,\n").encode())

    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_customers", str(path))

    assert "line 2, name: " in capsys.readouterr().err
    assert not Customer.objects.exists()
