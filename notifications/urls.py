from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("", views.outbox, name="outbox"),
    path("failed/", views.failed, name="failed"),
    path("mine/", views.mine, name="mine"),
    path("mine/read/", views.mine_read, name="mine-read"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/retry/", views.retry, name="retry"),
]
