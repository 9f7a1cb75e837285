"""Staff pages of loyalty, under /staff/loyalty/ (config/urls.py)."""

from django.urls import path

from . import views

app_name = "loyalty"

urlpatterns = [
    path("customers/<int:pk>/", views.customer_loyalty, name="customer"),
    path("customers/<int:pk>/adjust/", views.points_adjust, name="adjust"),
    path("customers/<int:pk>/referral/", views.referral_link, name="referral-link"),
]
