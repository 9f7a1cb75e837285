"""The customer side of campaigns, under /portal/campaigns/ (config/urls.py)."""

from django.urls import path

from . import views

app_name = "campaigns"

urlpatterns = [
    path("go/<str:token>/", views.link_go, name="go"),
    path("visit/<str:token>/", views.link_visit, name="visit"),
    path("visit/<str:token>/click/", views.link_click, name="click"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("marketing/", views.marketing_choice, name="marketing-choice"),
]
