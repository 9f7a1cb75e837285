"""The portal's "Pay now" pages, included by portal/urls.py (namespace "portal")."""

from django.urls import path

from . import portal_views

urlpatterns = [
    path("invoices/<int:pk>/pay/", portal_views.invoice_pay_view, name="invoice-pay"),
    path(
        "invoices/<int:pk>/pay/return/<str:provider>/",
        portal_views.invoice_pay_return_view,
        name="invoice-pay-return",
    ),
    path("payments/<int:pk>/", portal_views.attempt_view, name="payment"),
    path("payments/<int:pk>/status/", portal_views.attempt_status_view, name="payment-status"),
]
