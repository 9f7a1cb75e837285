from django.urls import path

from insights import views, views_feedback, views_risk, views_surveys

app_name = "insights"
urlpatterns = [
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
    path("at-risk/export.csv", views_risk.at_risk_export, name="at-risk-export"),
    path("satisfaction/", views_surveys.satisfaction, name="satisfaction"),
]
