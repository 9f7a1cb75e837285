from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

from core import views as core_views
from core.auth import AdminLoginForm
from insights import views as insights_views

# Lazy: the admin renders them in the language of each request.
admin.site.site_header = _("RenewDesk administration")
admin.site.site_title = _("RenewDesk admin")
admin.site.index_title = _("Plans, terms, rules and users")
# Says so when django-axes locked the login out (shared with /staff/login/).
admin.site.login_form = AdminLoginForm

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="portal:home", permanent=False)),
    path("healthz", core_views.healthz, name="healthz"),
    # Pages without the site's <link rel="icon"> (the admin) make browsers ask for this.
    path("favicon.ico", core_views.favicon),
    path("i18n/setlang/", core_views.language_switch, name="set_language"),
    path("admin/", admin.site.urls),
    path("staff/", insights_views.dashboard, name="staff-home"),
    path("staff/", include("core.staff_urls")),
    path("staff/customers/", include("customers.urls")),
    path("staff/contracts/", include("contracts.urls")),
    path("staff/renewals/", include("renewals.urls")),
    path("staff/notifications/", include("notifications.urls")),
    path("staff/cancellations/", include("retention.urls")),
    path("staff/loyalty/", include("loyalty.urls")),
    path("portal/surveys/", include("insights.portal_urls")),
    path("portal/campaigns/", include("relations.views")),
    path("portal/", include("portal.urls")),
    path("staff/billing/", include("billing.urls")),
    path("webhooks/", include("billing.webhook_urls")),
    path("payments/", include("payments.webhook_urls")),
    path("staff/payments/", include("payments.staff_urls")),
    path("api/", include("api.urls")),
    path("staff/insights/", include("insights.urls")),
    path("staff/relations/", include("relations.urls")),
    path("staff/evidence/", include("lifecycle.staff_urls")),
]
# MEDIA_ROOT is never served as such, not even with DEBUG on: it holds every customer's
# invoices, signed contracts and uploads. Files go out only through views that check who
# asks (core.staff_views, portal.views, billing / renewals views); docs/security.md.

# `make run` only (config.settings.local sets LOCAL_MAILBOX_DIR): the e-mails the app sent,
# portal login links included. Production and test settings never mount it.
if getattr(settings, "LOCAL_MAILBOX_DIR", None):
    urlpatterns.append(path("staff/dev/mail/", include("core.mailbox_urls")))
