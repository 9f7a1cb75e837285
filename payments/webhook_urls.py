"""``/payments/notify/<provider>/``: the providers' notifications (config/urls.py)."""

from django.urls import path

from . import notification_views

urlpatterns = [
    path("notify/<str:provider>/", notification_views.notify_view, name="payments-notify"),
]
