from django.urls import path

from . import staff_views

app_name = "payments"
urlpatterns = [
    path("attempts/", staff_views.attempt_list_view, name="attempts"),
]
