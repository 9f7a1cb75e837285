from __future__ import annotations

from django.urls import include, path, re_path
from rest_framework.routers import DefaultRouter

from .views.base import not_found
from .views.billing import InvoiceViewSet, PaymentViewSet
from .views.contracts import ContractEventViewSet, ContractViewSet, PlanViewSet
from .views.customers import ContactViewSet, CustomerViewSet
from .views.docs import DocsView, SchemaView
from .views.renewals import CancellationRequestViewSet, RenewalCaseViewSet

app_name = "api"

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("customers", CustomerViewSet, basename="customer")
router.register("contacts", ContactViewSet, basename="contact")
router.register("plans", PlanViewSet, basename="plan")
router.register("contracts", ContractViewSet, basename="contract")
router.register("events", ContractEventViewSet, basename="event")
router.register("renewal-cases", RenewalCaseViewSet, basename="renewal-case")
router.register(
    "cancellation-requests", CancellationRequestViewSet, basename="cancellation-request"
)
router.register("invoices", InvoiceViewSet, basename="invoice")
router.register("payments", PaymentViewSet, basename="payment")

urlpatterns = [
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", DocsView.as_view(), name="docs"),
    path("v1/", include(router.urls)),
    re_path(r"^.*$", not_found),
]
