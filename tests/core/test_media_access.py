"""Stored documents and uploads are served only by views that check who asks."""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import pytest
from django.urls import clear_url_caches, reverse

from core.pdf import document_store
from tests.factories import (
    ContractFactory,
    CustomerFactory,
    PortalAccountFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def debug_urlconf(settings, monkeypatch):
    """config/urls.py as `make run` builds it: config.settings.local has DEBUG on."""
    settings.DEBUG = True
    module = types.ModuleType("tests_core_debug_urls")
    source = ROOT / "config" / "urls.py"
    exec(compile(source.read_text(), str(source), "exec"), module.__dict__)  # noqa: S102
    monkeypatch.setitem(sys.modules, module.__name__, module)
    settings.ROOT_URLCONF = module.__name__
    clear_url_caches()
    yield
    clear_url_caches()


def _invoice(customer, name="INV-2026-000042.pdf"):
    return document_store(
        data=b"%PDF-1.4 invoice of " + customer.code.encode(),
        kind="invoice",
        title="Invoice",
        customer=customer,
        filename=name,
    )


def test_a_stored_document_is_not_served_under_media_urls(client, media_root, debug_urlconf):
    doc = _invoice(CustomerFactory())
    assert (media_root / doc.file.name).exists()

    response = client.get(f"/media/{doc.file.name}")

    assert response.status_code == 404


def test_a_signed_scan_is_not_served_under_media_urls(client, media_root, debug_urlconf):
    from django.core.files.base import ContentFile

    contract = ContractFactory()
    contract.signed_document.save("scan.pdf", ContentFile(b"%PDF-1.4 scan"))

    response = client.get(f"/media/{contract.signed_document.name}")

    assert response.status_code == 404


@pytest.mark.parametrize(
    "module", ["config.settings.local", "config.settings.production", "config.settings.test"]
)
def test_no_settings_module_routes_media_urls(module):
    script = (
        "import django; django.setup()\n"
        "from django.urls import Resolver404, resolve\n"
        "try:\n"
        "    resolve('/media/documents/2026/03/INV-2026-000042.pdf')\n"
        "    print('served')\n"
        "except Resolver404:\n"
        "    print('not served')\n"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": module,
        "DJANGO_SECRET_KEY": "x",
        "DJANGO_ALLOWED_HOSTS": "x",
        "DATABASE_URL": "sqlite:///:memory:",
        "REDIS_URL": "redis://127.0.0.1:6379/15",
    }
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "not served"


def test_staff_download_another_books_document_is_404(client, media_root):
    manager = StaffFactory()
    theirs = _invoice(CustomerFactory())
    client.force_login(manager)

    assert client.get(reverse("staff-document", args=[theirs.pk])).status_code == 404


def test_a_customer_downloads_their_own_document_but_not_anothers(client, media_root):
    account = PortalAccountFactory()
    own = _invoice(account.customer)
    other = _invoice(CustomerFactory(), name="INV-2026-000043.pdf")
    client.force_login(account.user)

    response = client.get(reverse("portal:document-download", args=[own.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-1.4 invoice of")
    assert client.get(reverse("portal:document-download", args=[other.pk])).status_code == 404


def test_anonymous_visitors_get_no_document(client, media_root):
    doc = _invoice(CustomerFactory())

    staff = client.get(reverse("staff-document", args=[doc.pk]))
    portal = client.get(reverse("portal:document-download", args=[doc.pk]))

    assert staff.status_code == 302 and staff["Location"].startswith(reverse("staff-login"))
    assert portal.status_code == 302


def _signed_contract(manager):
    """A contract whose signed document was stored the way signing stores it."""
    contract = ContractFactory(customer=CustomerFactory(account_manager=manager))
    doc = document_store(
        data=b"%PDF-1.4 signed",
        kind="signed",
        title="Signed contract",
        customer=contract.customer,
        contract=contract,
        filename="signed.pdf",
    )
    contract.signed_document = doc.file.name
    contract.save(update_fields=["signed_document"])
    return contract


def test_the_contract_page_links_the_signed_document_through_a_checked_view(client, media_root):
    manager = StaffFactory()
    contract = _signed_contract(manager)
    client.force_login(manager)

    html = client.get(reverse("contracts:detail", args=[contract.pk])).content.decode()

    assert "/media/" not in html
    url = reverse("staff-contract-signed-document", args=[contract.pk])
    assert f'href="{url}"' in html
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 signed"


def test_the_signed_document_view_refuses_other_books_and_anonymous_visitors(client, media_root):
    contract = _signed_contract(StaffFactory())
    url = reverse("staff-contract-signed-document", args=[contract.pk])

    assert client.get(url).status_code == 302
    client.force_login(StaffFactory())
    assert client.get(url).status_code == 404
    client.force_login(PortalAccountFactory(customer=contract.customer).user)
    assert client.get(url).status_code == 403


def test_the_signed_document_view_answers_404_without_a_file(client, media_root):
    manager = StaffFactory()
    contract = ContractFactory(customer=CustomerFactory(account_manager=manager))
    client.force_login(manager)

    url = reverse("staff-contract-signed-document", args=[contract.pk])
    assert client.get(url).status_code == 404
    contract.signed_document = "contracts/signed/2026/gone.pdf"
    contract.save(update_fields=["signed_document"])
    assert client.get(url).status_code == 404


def test_the_admin_links_documents_through_checked_views(admin_client, media_root):
    admin = StaffFactory()
    contract = _signed_contract(admin)
    doc = contract.documents.get()

    pages = [
        reverse("admin:core_document_change", args=[doc.pk]),
        reverse("admin:contracts_contract_change", args=[contract.pk]),
    ]
    for page in pages:
        html = admin_client.get(page).content.decode()
        assert "/media/" not in html, page
    html = admin_client.get(pages[0]).content.decode()
    assert reverse("staff-document", args=[doc.pk]) in html
    html = admin_client.get(pages[1]).content.decode()
    assert reverse("staff-contract-signed-document", args=[contract.pk]) in html
