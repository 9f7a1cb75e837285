"""Staff pages of relationship maintenance, under /staff/relations/ (config/urls.py)."""

from django.urls import path

from . import campaign_staff_views as campaign_views
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
    # Campaigns (campaign_staff_views).
    path("campaigns/", campaign_views.campaign_list, name="campaigns"),
    path("campaigns/new/", campaign_views.campaign_edit, name="campaign-new"),
    path("campaigns/<int:pk>/", campaign_views.campaign_detail, name="campaign"),
    path("campaigns/<int:pk>/edit/", campaign_views.campaign_edit, name="campaign-edit"),
    path(
        "campaigns/<int:pk>/schedule/",
        campaign_views.campaign_schedule_view,
        name="campaign-schedule",
    ),
    path(
        "campaigns/<int:pk>/unschedule/",
        campaign_views.campaign_unschedule_view,
        name="campaign-unschedule",
    ),
    path("campaigns/<int:pk>/cancel/", campaign_views.campaign_cancel_view, name="campaign-cancel"),
    path("campaigns/<int:pk>/report/", campaign_views.campaign_report_view, name="campaign-report"),
]
