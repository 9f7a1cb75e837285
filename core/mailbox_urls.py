from django.urls import path

from core import mailbox_views

urlpatterns = [
    path("", mailbox_views.mailbox, name="dev-mail"),
    path("<str:message_id>/", mailbox_views.mailbox_message, name="dev-mail-message"),
]
