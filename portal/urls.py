from django.urls import include, path

from . import views

app_name = "portal"
urlpatterns = [
    path("", views.dashboard, name="home"),
    path("login/", views.login_request, name="login"),
    path("login/sent/", views.login_sent, name="login-sent"),
    path("login/password/", views.password_login, name="password-login"),
    path("login/link/<str:token>/", views.magic_link, name="magic-link"),
    path("logout/", views.logout_view, name="logout"),
    path("contracts/<int:pk>/", views.contract_detail, name="contract-detail"),
    path("documents/<int:pk>/", views.document_download, name="document-download"),
    path("messages/", views.messages_inbox, name="messages"),
    path("messages/<int:pk>/read/", views.message_read, name="message-read"),
    path("preferences/", views.preferences, name="preferences"),
    path("preferences/password/", views.password_change, name="password-change"),
    path("contacts/", views.contacts, name="contacts"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact-edit"),
    path("feedback/", views.feedback_list, name="feedback-list"),
    path("feedback/new/", views.feedback_new, name="feedback-new"),
    path("feedback/<int:pk>/", views.feedback_detail, name="feedback-detail"),
    path("", include("retention.portal_urls")),
    path("", include("renewals.portal_urls")),
    path("", include("payments.mandate_urls")),
    path("", include("payments.portal_urls")),
    path("", include("loyalty.portal_urls")),
    path("", include("relations.portal_urls")),
    path("", include("lifecycle.portal_urls")),
]
