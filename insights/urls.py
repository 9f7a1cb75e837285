from django.urls import path

from insights import (
    views,
    views_feedback,
    views_imports,
    views_losses,
    views_risk,
    views_surveys,
)

app_name = "insights"
urlpatterns = [
    # List exports first: the dashboard's export/<table>.csv would match them too.
    path("export/contracts.csv", views_imports.contracts_export, name="contracts-export"),
    path("export/customers.csv", views_imports.customers_export, name="customers-export"),
    path("losses/export/<slug:table>.csv", views_losses.losses_export, name="losses-export"),
    path("export/<slug:table>.csv", views.dashboard_export, name="dashboard-export"),
    path(
        "customers/<int:customer_pk>/interactions/",
        views.interaction_add,
        name="interaction-add",
    ),
    path("feedback/", views_feedback.feedback_list, name="feedback"),
    path("feedback/<int:pk>/", views_feedback.feedback_detail, name="feedback-detail"),
    path("feedback/<int:pk>/assign/", views_feedback.feedback_assign, name="feedback-assign"),
    path("feedback/<int:pk>/reply/", views_feedback.feedback_reply, name="feedback-reply"),
    path("feedback/<int:pk>/status/", views_feedback.feedback_status, name="feedback-status"),
    path("at-risk/", views_risk.at_risk, name="at-risk"),
    path("losses/", views_losses.losses, name="losses"),
    path("at-risk/export.csv", views_risk.at_risk_export, name="at-risk-export"),
    path("satisfaction/", views_surveys.satisfaction, name="satisfaction"),
    path("import/", views_imports.import_upload, name="import"),
    path("import/<int:pk>/", views_imports.import_job, name="import-job"),
    path("import/<int:pk>/status.json", views_imports.import_job_json, name="import-job-json"),
    path("import/<int:pk>/errors.csv", views_imports.import_job_errors, name="import-job-errors"),
]
