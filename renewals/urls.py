from django.urls import path

from . import views

app_name = "renewals"
urlpatterns = [
    path("", views.pipeline_view, name="pipeline"),
    path("terms-diff/", views.terms_diff_view, name="terms-diff"),
    path("open/<int:contract_pk>/", views.case_open_view, name="open"),
    path("cases/<int:pk>/", views.case_detail_view, name="case"),
    path("cases/<int:pk>/intent/", views.case_intent_view, name="intent"),
    path("cases/<int:pk>/contact/", views.case_contact_view, name="contact"),
    path("cases/<int:pk>/lose/", views.case_lose_view, name="lose"),
    path("cases/<int:pk>/quote/", views.quote_create_view, name="quote-create"),
    path("cases/<int:pk>/quote/edit/", views.quote_edit_view, name="quote-edit"),
    path("cases/<int:pk>/quote/send/", views.quote_send_view, name="quote-send"),
    path("cases/<int:pk>/quote/sign-offline/", views.quote_sign_offline_view, name="sign-offline"),
    path(
        "cases/<int:pk>/documents/<str:which>/",
        views.quote_document_view,
        name="document",
    ),
]
