"""Staff URLs of the lifecycle's pages (mounted at /staff/evidence/ by config/urls.py)."""

from django.urls import path

from . import staff_views

app_name = "evidence"

urlpatterns = [
    path("customers/<int:pk>.pdf", staff_views.customer_evidence_pdf, name="customer-pdf"),
    path("customers/<int:pk>.csv", staff_views.customer_evidence_csv, name="customer-csv"),
    path("contracts/<int:pk>.pdf", staff_views.contract_evidence_pdf, name="contract-pdf"),
    path("contracts/<int:pk>.csv", staff_views.contract_evidence_csv, name="contract-csv"),
]
