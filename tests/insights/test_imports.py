from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from contracts.models import Contract
from customers.models import Customer
from insights.imports import import_job_create, import_job_run
from insights.models import ImportJob
from tests.factories import ContractFactory, CustomerFactory

pytestmark = pytest.mark.django_db

CUSTOMERS_HEADER = "code,name,kind,contact_name,email,phone,language,account_manager\n"
CONTRACTS_HEADER = (
    "number,customer_code,plan_code,start_date,end_date,amount,currency,billing_period,"
    "auto_renew,notice_period_days\n"
)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def upload(name: str, text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def test_a_good_customers_file_is_imported_in_the_background(
    team_lead, media, django_capture_on_commit_callbacks, monkeypatch
):
    dispatched = []
    monkeypatch.setattr("insights.imports.import_job_dispatch", dispatched.append)
    text = (
        CUSTOMERS_HEADER + "K1,Acme,company,Li,li@a.example,,en,\nK2,Bo,individual,Bo,,,zh-hans,\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        job = import_job_create(kind="customers", upload=upload("c.csv", text), by=team_lead)
    assert dispatched == [job.pk]
    job = import_job_run(job_id=job.pk)
    assert (job.status, job.rows, job.created_count, job.error_count) == ("done", 2, 2, 0)
    assert job.percent == 100
    assert set(Customer.objects.values_list("code", flat=True)) >= {"K1", "K2"}
    assert import_job_run(job_id=job.pk) is None  # delivered twice: imported once


def test_a_file_with_bad_rows_imports_nothing_and_lists_every_bad_row(team_lead, media):
    customer = CustomerFactory(code="K1")
    rows = [
        f"HT-I-1,{customer.code},,2026-01-01,2026-12-31,1200.00,CNY,monthly,false,30",
        "HT-I-2,NOPE,,2026-01-01,2026-12-31,1200.00,CNY,monthly,false,30",
        f"HT-I-3,{customer.code},,2026-01-01,2025-12-31,1200.00,CNY,monthly,false,30",
        f"HT-I-4,{customer.code},,2026-01-01,2026-12-31,lots,CNY,monthly,false,30",
    ]
    job = import_job_create(
        kind="contracts", upload=upload("bad.csv", CONTRACTS_HEADER + "\n".join(rows)), by=team_lead
    )
    job = import_job_run(job_id=job.pk)
    assert job.status == "failed"
    assert job.created_count == 0
    assert sorted({e["line"] for e in job.errors}) == [3, 4, 5]
    assert not Contract.objects.filter(number__startswith="HT-I-").exists()


def test_the_upload_page_is_for_team_leads_and_shows_progress_and_errors(
    client, team_lead, manager, media, monkeypatch
):
    monkeypatch.setattr("insights.imports.import_job_dispatch", lambda job_id: None)
    client.force_login(manager)
    assert client.get(reverse("insights:import")).status_code == 403
    client.force_login(team_lead)
    assert client.get(reverse("insights:import")).status_code == 200
    response = client.post(
        reverse("insights:import"),
        {
            "kind": "customers",
            "file": upload("c.csv", CUSTOMERS_HEADER + "=X,=cmd,company,,,,en,\n"),
        },
    )
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("insights:import-job", args=[job.pk])
    status = client.get(reverse("insights:import-job-json", args=[job.pk])).json()
    assert status["status"] == "queued" and status["finished"] is False
    page = client.get(reverse("insights:import-job", args=[job.pk])).content.decode()
    assert "data-status-url" in page and "insights_import.js" in page
    import_job_run(job_id=job.pk)
    status = client.get(reverse("insights:import-job-json", args=[job.pk])).json()
    assert status["finished"] is True
    # The error CSV is safe to open in a spreadsheet even when it echoes the file.
    errors_csv = client.get(reverse("insights:import-job-errors", args=[job.pk]))
    assert errors_csv.status_code == 200
    # Someone else's job is not visible to a manager.
    client.force_login(manager)
    assert client.get(reverse("insights:import-job", args=[job.pk])).status_code == 404


def test_a_non_csv_upload_is_refused_with_a_message(client, team_lead, media):
    client.force_login(team_lead)
    response = client.post(
        reverse("insights:import"), {"kind": "customers", "file": upload("c.xlsx", "x")}
    )
    assert response.status_code == 200
    assert "Upload a .csv file." in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_list_exports_escape_cells_that_start_like_formulas(client, manager):
    customer = CustomerFactory(account_manager=manager, name='=HYPERLINK("x")')
    for name in ["+cmd", "-1+1", "@SUM(A1)", "\tTab", "\rCR"]:
        CustomerFactory(account_manager=manager, name=name)
    ContractFactory(customer=customer)
    client.force_login(manager)
    response = client.get(reverse("insights:customers-export"))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    names = {r[1] for r in rows[1:]}
    assert names == {'\'=HYPERLINK("x")', "'+cmd", "'-1+1", "'@SUM(A1)", "'\tTab", "'\rCR"}
    contracts = client.get(reverse("insights:contracts-export"), {"status": "active"})
    rows = list(csv.reader(io.StringIO(contracts.content.decode("utf-8-sig"))))
    assert rows[1][2] == '\'=HYPERLINK("x")'
    assert len(rows) == 2


def test_list_exports_keep_to_the_managers_book(client, manager):
    CustomerFactory(account_manager=manager, name="Mine")
    CustomerFactory(name="Theirs")
    client.force_login(manager)
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(reverse("insights:customers-export")).content.decode("utf-8-sig")
            )
        )
    )
    assert [r[1] for r in rows[1:]] == ["Mine"]


def test_a_nul_character_fails_the_job_with_the_line_and_field(team_lead, media):
    text = CUSTOMERS_HEADER + "K1,Acme,company,,,,en,\nK\x002,Bo,company,,,,en,\n"

    job = import_job_create(kind="customers", upload=upload("nul.csv", text), by=team_lead)
    job = import_job_run(job_id=job.pk)

    assert job.status == "failed"
    assert [(e["line"], e["column"]) for e in job.errors] == [(3, "code")]
    assert not Customer.objects.filter(code="K1").exists()
