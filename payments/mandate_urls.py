"""The portal's automatic-payment pages (namespace "portal", included by portal/urls.py)."""

from django.urls import path

from . import portal_mandate_views as views

urlpatterns = [
    path(
        "contracts/<int:pk>/automatic-payment/",
        views.mandate_setup_view,
        name="mandate-setup",
    ),
    path(
        "contracts/<int:pk>/automatic-payment/auto-renewal-off/",
        views.auto_renew_off_view,
        name="mandate-auto-renew-off",
    ),
    path(
        "automatic-payment/<str:reference>/",
        views.mandate_status_view,
        name="mandate-status",
    ),
    path(
        "automatic-payment/<str:reference>/stop/",
        views.mandate_revoke_view,
        name="mandate-revoke",
    ),
]
