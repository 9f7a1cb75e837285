"""Renewal and invoice pages of the customer portal, included by portal/urls.py
(namespace "portal")."""

from django.urls import path

from . import portal_views

urlpatterns = [
    path("contracts/<int:pk>/renewal/", portal_views.renewal_view, name="renewal"),
    path(
        "contracts/<int:pk>/renewal/answer/",
        portal_views.renewal_intent_view,
        name="renewal-intent",
    ),
    path("contracts/<int:pk>/renewal/sign/", portal_views.renewal_sign_view, name="renewal-sign"),
    path("invoices/<int:pk>/", portal_views.invoice_view, name="invoice"),
    path("invoices/<int:pk>/pdf/", portal_views.invoice_pdf_view, name="invoice-pdf"),
    path("receipts/<int:pk>/pdf/", portal_views.receipt_pdf_view, name="receipt-pdf"),
    path("act/<str:purpose>/<str:token>/", portal_views.action_link_view, name="action-link"),
]
