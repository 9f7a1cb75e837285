from django.urls import path

from insights import views

app_name = "insights"
urlpatterns = [
    path("export/<slug:table>.csv", views.dashboard_export, name="dashboard-export"),
    path(
        "customers/<int:customer_pk>/interactions/",
        views.interaction_add,
        name="interaction-add",
    ),
]
