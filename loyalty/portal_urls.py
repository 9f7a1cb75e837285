"""The rewards pages of the customer portal, included by portal/urls.py (namespace
"portal")."""

from django.urls import path

from . import portal_views

urlpatterns = [
    path("rewards/", portal_views.rewards, name="rewards"),
    path("rewards/redeem/<int:pk>/", portal_views.reward_redeem, name="reward-redeem"),
    path("rewards/referrals/", portal_views.referrals, name="referrals"),
]
