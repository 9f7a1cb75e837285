"""Staff pages of relationship maintenance, under /staff/relations/ (config/urls.py)."""

from django.urls import path

from . import campaign_staff_views as campaign_views
from . import customer_cadence_views, service_level_views, staff_views
from .segment_views import (
    segment_detail,
    segment_edit,
    segment_list,
    segment_new,
    segment_remove,
)

app_name = "relations"

urlpatterns = [
    path("contacts/", staff_views.contacts_due, name="contacts"),
    path("contacts/<int:pk>/log/", staff_views.contact_log, name="contact-log"),
    path("contacts/<int:pk>/skip/", staff_views.contact_skip, name="contact-skip"),
    path("not-contacted/", staff_views.not_contacted, name="not-contacted"),
    path("team/tasks/", staff_views.tasks_team, name="team-tasks"),
    # A customer's own contact cadences (customer_cadence_views).
    path(
        "customers/<int:pk>/contact-plan/",
        customer_cadence_views.customer_contact_plan,
        name="customer-contact-plan",
    ),
    path(
        "customers/<int:pk>/contact-plan/<str:kind>/",
        customer_cadence_views.customer_cadence_save,
        name="customer-cadence-save",
    ),
    path(
        "customers/<int:pk>/contact-plan/<str:kind>/remove/",
        customer_cadence_views.customer_cadence_delete,
        name="customer-cadence-remove",
    ),
    path("team/tasks/<int:pk>/reassign/", staff_views.task_reassign, name="task-reassign"),
    path("team/tasks/<int:pk>/done/", staff_views.task_finish, name="task-finish"),
    # Saved segments (segment_views).
    path("segments/", segment_list, name="segments"),
    path("segments/new/", segment_new, name="segment-new"),
    path("segments/<int:pk>/", segment_detail, name="segment"),
    path("segments/<int:pk>/edit/", segment_edit, name="segment-edit"),
    path("segments/<int:pk>/delete/", segment_remove, name="segment-delete"),
    # Service levels (service_level_views).
    path(
        "quotes/<int:pk>/service-levels/",
        service_level_views.quote_service_levels,
        name="quote-service-levels",
    ),
    path(
        "quotes/<int:pk>/service-levels/add/",
        service_level_views.quote_indicator_add,
        name="quote-indicator-add",
    ),
    path(
        "quotes/<int:pk>/service-levels/<int:indicator_pk>/remove/",
        service_level_views.quote_indicator_remove,
        name="quote-indicator-remove",
    ),
    path(
        "contracts/<int:pk>/service-levels/",
        service_level_views.contract_service_levels,
        name="contract-service-levels",
    ),
    path(
        "contracts/<int:pk>/service-levels/<int:indicator_pk>/record/",
        service_level_views.measurement_record,
        name="measurement-record",
    ),
    path("claims/", service_level_views.claims_queue, name="claims"),
    path("claims/<int:pk>/approve/", service_level_views.claim_approve, name="claim-approve"),
    path("claims/<int:pk>/reject/", service_level_views.claim_reject, name="claim-reject"),
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
