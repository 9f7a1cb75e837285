"""Provider callbacks of the notifications app (mounted at /receipts/ by config/urls.py)."""

from __future__ import annotations

from django.urls import path

from . import receipt_views

app_name = "receipts"

urlpatterns = [
    path("sms/<str:provider>/<str:token>/", receipt_views.sms_receipt_push, name="sms-push"),
]
