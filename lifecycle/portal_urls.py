"""The customer's compliance rights in the portal (lifecycle/portal_views.py), included by
portal/urls.py (namespace "portal")."""

from django.urls import path

from . import portal_views

urlpatterns = [
    path(
        "contracts/<int:pk>/auto-renewal/",
        portal_views.auto_renewal_view,
        name="auto-renewal",
    ),
    path(
        "contracts/<int:pk>/undo-renewal/",
        portal_views.renewal_undo_view,
        name="renewal-undo",
    ),
    path("contracts/<int:pk>/withdraw/", portal_views.withdrawal_view, name="contract-withdraw"),
    path("cancel-contracts/", portal_views.cancel_contracts_view, name="cancel-contracts"),
    path("credit-notes/", portal_views.credit_notes_view, name="credit-notes"),
    path("credit-notes/<int:pk>/", portal_views.credit_note_view, name="credit-note"),
]
