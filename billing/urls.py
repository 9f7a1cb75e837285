from django.urls import path

from . import views

app_name = "billing"
urlpatterns = [
    path("", views.invoice_list_view, name="invoices"),
    path("invoices/<int:pk>/", views.invoice_detail_view, name="invoice"),
    path("invoices/<int:pk>/pay/", views.invoice_pay_view, name="invoice-pay"),
    path("invoices/<int:pk>/credit/", views.invoice_credit_view, name="invoice-credit"),
    path("invoices/<int:pk>/pdf/", views.invoice_pdf_view, name="invoice-pdf"),
    path("payments/<int:pk>/receipt/", views.receipt_pdf_view, name="receipt-pdf"),
    path("credit-notes/", views.credit_note_list_view, name="credit-notes"),
    path("credit-notes/<int:pk>/refund/", views.credit_note_refund_view, name="credit-note-refund"),
]
