from django.urls import path
from django.views.generic import TemplateView

app_name = "portal"
_placeholder = TemplateView.as_view(template_name="portal/placeholder.html")
urlpatterns = [
    path("", _placeholder, name="home"),
    path("logout/", _placeholder, name="logout"),
    path("messages/", _placeholder, name="messages"),
    path("feedback/", _placeholder, name="feedback-list"),
    path("contacts/", _placeholder, name="contacts"),
    path("preferences/", _placeholder, name="preferences"),
]
urlpatterns.append(path("login/", _placeholder, name="login"))
