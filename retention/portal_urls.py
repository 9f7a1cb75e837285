"""Cancellation pages of the customer portal, included by portal/urls.py (namespace
"portal")."""

from django.urls import path

from . import portal_views

urlpatterns = [
    path("contracts/<int:pk>/cancel/", portal_views.cancel_start, name="cancellation-start"),
    path("contracts/<int:pk>/cancel/offer/", portal_views.cancel_offer, name="cancellation-offer"),
    path(
        "contracts/<int:pk>/cancel/confirm/", portal_views.cancel_review, name="cancellation-review"
    ),
    path("cancellations/<int:pk>/", portal_views.cancellation_detail, name="cancellation-detail"),
    path(
        "cancellations/<int:pk>/continue/",
        portal_views.cancellation_continue,
        name="cancellation-continue",
    ),
    path(
        "cancellations/<int:pk>/accept-offer/",
        portal_views.cancellation_accept_offer,
        name="cancellation-accept-offer",
    ),
    path(
        "cancellations/<int:pk>/withdraw/",
        portal_views.cancellation_withdraw,
        name="cancellation-withdraw",
    ),
]
