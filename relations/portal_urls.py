"""The service-level pages of the customer portal, included by portal/urls.py (namespace
"portal")."""

from django.urls import path

from . import portal_views

urlpatterns = [
    path(
        "contracts/<int:pk>/service-levels/",
        portal_views.service_levels,
        name="service-levels",
    ),
    path(
        "contracts/<int:pk>/service-levels/<int:measurement_pk>/claim/",
        portal_views.claim_new,
        name="service-level-claim",
    ),
]
