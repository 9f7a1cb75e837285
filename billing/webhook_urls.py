from django.urls import path

from . import views

urlpatterns = [
    path("payments/", views.payment_webhook_view, name="payment-webhook"),
]
