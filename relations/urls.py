"""Staff pages of relationship maintenance, under /staff/relations/ (config/urls.py)."""

from django.urls import path

from . import staff_views

app_name = "relations"

urlpatterns = [
    path("contacts/", staff_views.contacts_due, name="contacts"),
    path("contacts/<int:pk>/log/", staff_views.contact_log, name="contact-log"),
    path("contacts/<int:pk>/skip/", staff_views.contact_skip, name="contact-skip"),
    path("not-contacted/", staff_views.not_contacted, name="not-contacted"),
    path("team/tasks/", staff_views.tasks_team, name="team-tasks"),
    path("team/tasks/<int:pk>/reassign/", staff_views.task_reassign, name="task-reassign"),
    path("team/tasks/<int:pk>/done/", staff_views.task_finish, name="task-finish"),
]
