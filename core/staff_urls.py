"""Core's staff pages: login, tasks, documents. The staff home (the insights dashboard)
is wired in config.urls: core does not import the apps above it."""

from django.urls import path

from core import staff_views

urlpatterns = [
    path("login/", staff_views.StaffLoginView.as_view(), name="staff-login"),
    path("logout/", staff_views.StaffLogoutView.as_view(), name="staff-logout"),
    path("tasks/", staff_views.staff_tasks, name="staff-tasks"),
    path("tasks/<int:pk>/done/", staff_views.staff_task_done, name="staff-task-done"),
    path("documents/<int:pk>/", staff_views.staff_document_download, name="staff-document"),
    path(
        "documents/contracts/<int:pk>/signed/",
        staff_views.staff_contract_signed_document,
        name="staff-contract-signed-document",
    ),
]
