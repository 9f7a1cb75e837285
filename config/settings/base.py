"""Settings shared by every environment. Values come from the environment (django-environ)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])

SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_celery_beat",
    "django_htmx",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "core",
    "customers",
    "contracts",
    "renewals",
    "notifications",
    "retention",
    "portal",
    "billing",
    "api",
    "insights",
    "lifecycle",
    "payments",
    "relations",
    "loyalty",
    "compliance",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    # After every middleware that adds response headers, before anything loads the user.
    "core.page_cache.StaffPageCacheMiddleware",
    "core.middleware.UserLanguageMiddleware",
    # Refuses a NUL character in a query string (and one that reached the database) with
    # a 400 page in the user's language, after the language is chosen.
    "core.middleware.NulInputMiddleware",
    # Last: turns a login that django-axes refused into a 429 (core.auth.login_lockout_response).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.site",
                "portal.context_processors.portal",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    # django-axes' lockout check first: a locked-out login is refused before the password
    # is looked at. It logs no one in itself.
    "core.auth.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "staff-login"
LOGIN_REDIRECT_URL = "staff-home"
LOGOUT_REDIRECT_URL = "staff-login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Business time zone: dates such as a contract's end date are business dates in this zone.
TIME_ZONE = env("TIME_ZONE", default="Asia/Shanghai")
USE_TZ = True
USE_I18N = True
LANGUAGE_CODE = env("LANGUAGE_CODE", default="zh-hans")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# English dates as "17 Dec 2026" instead of Django's American 12/17/2026; zh-hans keeps
# Django's own formats (config/formats/en/formats.py says why).
FORMAT_MODULE_PATH = ["config.formats"]

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Cache: Redis when REDIS_URL is set, otherwise local memory.
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "core.cache.RedisCache", "LOCATION": REDIS_URL}}
    # Sessions read from Redis, written through to the database (survive a Redis restart).
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Email
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="RenewDesk <noreply@renewdesk.local>")

# Celery: JSON only, acks late so that a crashed worker's task is redelivered by brokers that can.
CELERY_BROKER_URL = env(
    "CELERY_BROKER_URL", default=f"sqla+sqlite:///{BASE_DIR / 'celery-broker.sqlite3'}"
)
# Results: only the end-of-term run keeps any (its chords count their chunks' results,
# lifecycle/end_tasks.py); every other task ignores its own. Redis when the broker is Redis,
# otherwise (`make run`) a SQLite file next to the broker's.
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default="") or (
    CELERY_BROKER_URL
    if CELERY_BROKER_URL.startswith(("redis://", "rediss://"))
    else f"db+sqlite:///{BASE_DIR / 'celery-results.sqlite3'}"
)
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_EXPIRES = dt.timedelta(days=2)
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 10 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 9 * 60
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Named queues (docs/scaling.md): long daily sweeps, deliveries (outbox, webhooks) and CSV
# imports each have their own, so that a delivery never waits behind a sweep; everything
# else goes to the default queue "celery". Every queue needs a worker that consumes it
# (`make run` starts one worker for all four).
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {
    "notifications.tasks.deliver_message_task": {"queue": "delivery"},
    "notifications.tasks.deliver_outbox_task": {"queue": "delivery"},
    "api.tasks.deliver_webhook_task": {"queue": "delivery"},
    "api.tasks.deliver_webhooks_task": {"queue": "delivery"},
    "lifecycle.reaction_tasks.react_to_events_task": {"queue": "delivery"},
    "lifecycle.end_tasks.*": {"queue": "sweeps"},
    "lifecycle.retention_purge.retention_purge_task": {"queue": "sweeps"},
    "contracts.tasks.*": {"queue": "sweeps"},  # the end-of-term tasks' names before lifecycle
    "notifications.tasks.send_reminders_task": {"queue": "sweeps"},
    "notifications.tasks.reminder_schedule_repair_task": {"queue": "sweeps"},
    "notifications.tasks.send_care_messages_task": {"queue": "sweeps"},
    "renewals.tasks.open_renewal_cases_task": {"queue": "sweeps"},
    "billing.tasks.send_dunning_reminders_task": {"queue": "sweeps"},
    "customers.tasks.recompute_tiers_task": {"queue": "sweeps"},  # lifecycle/tier_tasks.py
    "insights.tasks.propensity_nightly": {"queue": "sweeps"},
    "insights.tasks.nps_sweep_task": {"queue": "sweeps"},
    "loyalty.tasks.*": {"queue": "sweeps"},  # points expiry, tenure points
    "payments.tasks.attempts_sweep_task": {"queue": "sweeps"},
    "relations.tasks.*": {"queue": "sweeps"},  # contact plans, complaint escalation, campaigns
    "insights.tasks.import_job_task": {"queue": "imports"},
    "payments.auto_charge_tasks.auto_charge_renewals_task": {"queue": "sweeps"},
    "payments.refund_tasks.*": {"queue": "sweeps"},
}

# Reactions to events (lifecycle/subscriptions.py, docs/api.md "Reactions"): core.events
# calls these by name, as ROOT_URLCONF names the URLs. The first runs a new event row's
# reactions right after its commit; the second the few that share the writer's
# transaction. A row whose reactions failed is tried again by the sweep after growing
# delays, and left for a person (admin: "reactions failed") after the last attempt.
RENEWDESK_EVENT_DELIVERY = "lifecycle.reactions.deliver_now"
RENEWDESK_EVENT_IN_TRANSACTION = "lifecycle.reactions.react_in_transaction"
RENEWDESK_REACTION_MAX_ATTEMPTS = env.int("RENEWDESK_REACTION_MAX_ATTEMPTS", default=8)
# Functions that attach files to outgoing emails of their app's kinds (called at delivery).
RENEWDESK_EMAIL_ATTACHMENTS = ["retention.confirmation_email.confirmation_attachments"]

# Staff and admin login throttling (django-axes; docs/security.md, docs/configuration.md).
# Failures are counted per username and per client address; when either has
# AXES_FAILURE_LIMIT failures within AXES_COOLOFF_MINUTES, every login for it is refused
# (the right password included) until that much time has passed since the last failure or
# an admin unlocks it (admin: Axes > Access attempts, or `manage.py axes_reset`).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10)
AXES_COOLOFF_MINUTES = env.int("AXES_COOLOFF_MINUTES", default=30)
# 0 minutes: no cool-off, locked until an admin unlocks.
AXES_COOLOFF_TIME = dt.timedelta(minutes=AXES_COOLOFF_MINUTES) if AXES_COOLOFF_MINUTES else None
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# A successful login does not clear the count: it would let anyone with one valid account
# (a portal customer logging in from the same address) wipe the failures of the address.
AXES_RESET_ON_SUCCESS = False
# Attempts while locked out are refused without being counted: the lock ends when it said.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "core.auth.login_lockout_response"
# No start-up banner in every manage.py command; failures and lockouts are still logged.
AXES_VERBOSE = False
# The client address. Default: REMOTE_ADDR only, never a header a client can forge. Behind
# a reverse proxy every request comes from the proxy's address, so one address's limit
# would lock everybody out: set these as docs/configuration.md explains.
AXES_IPWARE_META_PRECEDENCE_ORDER = env.list(
    "AXES_IPWARE_META_PRECEDENCE_ORDER", default=["REMOTE_ADDR"]
)
AXES_IPWARE_PROXY_COUNT = env.int("AXES_IPWARE_PROXY_COUNT", default=None)

# Security defaults that hold everywhere; production tightens the rest.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Content-Security-Policy (django-csp 4): no inline scripts or styles.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# RenewDesk business settings
RENEWDESK = {
    "DEFAULT_CURRENCY": env("DEFAULT_CURRENCY", default="CNY"),
    # The country (ISO 3166-1 alpha-2) a new customer is in unless told otherwise: it
    # decides which automatic-renewal rules apply (docs/compliance.md).
    "DEFAULT_COUNTRY": env("DEFAULT_COUNTRY", default="CN"),
    # Days after an automatic renewal in which the customer may undo it from the portal,
    # where the rules give none (or fewer); unset or 0: only the rules' windows.
    "AUTO_RENEWAL_UNDO_DAYS": env.int("AUTO_RENEWAL_UNDO_DAYS", default=0),
    "CONTRACT_NUMBER_PREFIX": "HT",
    "RENEWAL_CASE_OPEN_DAYS": env.int("RENEWAL_CASE_OPEN_DAYS", default=60),
    # Payment-provider webhook: HMAC-SHA256 key; dunning starts this many days after due.
    "PAYMENT_WEBHOOK_SECRET": env("PAYMENT_WEBHOOK_SECRET", default=""),
    "DUNNING_GRACE_DAYS": env.int("DUNNING_GRACE_DAYS", default=7),
    # The account for bank transfers, printed on invoices and shown in the portal; without
    # an account name and number none is shown (check --deploy warns). docs/payments.md.
    "BANK_DETAILS": {
        "account_name": env("BANK_ACCOUNT_NAME", default=""),
        "bank_name": env("BANK_NAME", default=""),
        "account_number": env("BANK_ACCOUNT_NUMBER", default=""),
        "swift": env("BANK_SWIFT", default=""),
    },
    "REMINDER_OFFSETS": [30, 15, 7],
    "MAGIC_LINK_MAX_AGE": 15 * 60,
    "CANCELLATION_SLA_BUSINESS_DAYS": 2,
    # The staff dashboard's figures are cached this long (0: always live); see
    # docs/performance.md: at 1,000,000 contracts they take seconds to compute.
    "DASHBOARD_CACHE_SECONDS": env.int("DASHBOARD_CACHE_SECONDS", default=300),
    # A staff user's list pages are kept this long (0: never); their own changes show at
    # once, colleagues' within this many seconds (core/page_cache.py).
    "STAFF_PAGE_CACHE_SECONDS": env.int("STAFF_PAGE_CACHE_SECONDS", default=10),
}


def _env_with_prefix(prefix: str) -> dict[str, str]:
    """Every environment variable named ``<prefix>...``, keyed by the rest of its name:
    ``WECHATPAY_MCHID=123`` gives ``{"MCHID": "123"}`` for ``_env_with_prefix("WECHATPAY_")``."""
    return {
        name[len(prefix) :]: value
        for name, value in os.environ.items()
        if name.startswith(prefix) and value != ""
    }


# Online payment providers (docs/payments.md, docs/configuration.md). Each one's settings come
# from the environment variables with its prefix; a provider without them is hidden from
# customers. Certificates and keys are files, named by *_FILE variables.
PAYMENT_PROVIDERS = {
    "wechat_pay": _env_with_prefix("WECHATPAY_"),
    "alipay": _env_with_prefix("ALIPAY_"),
    "card": _env_with_prefix("STRIPE_"),
}
# The public https origin the providers call back (notifications) and send customers back to
# (return pages), e.g. https://renew.example.com; empty: the request's own origin.
PAYMENTS_PUBLIC_URL = env("PAYMENTS_PUBLIC_URL", default="")

# SMS providers (docs/notifications.md): the settings of each, by environment prefix.
SMS_PROVIDERS = {
    "aliyun": _env_with_prefix("ALIYUN_SMS_"),
    "tencent": _env_with_prefix("TENCENT_SMS_"),
}
# Which one sends: aliyun | tencent | console (logs, make run) | file | a dotted class path.
NOTIFICATIONS_SMS_BACKEND = env("NOTIFICATIONS_SMS_BACKEND", default="console")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # WeasyPrint logs seven INFO "Step n" lines per PDF (seed_demo, the worker).
        "weasyprint": {"level": "WARNING"},
        # The stripe SDK logs every request's URL at INFO (docs/payments.md, "Security").
        "stripe": {"level": "WARNING"},
    },
}

# Integration API (api/): DRF + drf-spectacular. Tokens act as their user; see docs/api.md.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.IsStaffWithScope"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.StandardPagination",
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"token": env("API_RATE_LIMIT", default="600/min")},
    "DEFAULT_SCHEMA_CLASS": "api.schema.RenewDeskAutoSchema",
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
    "DEFAULT_VERSIONING_CLASS": None,
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "RenewDesk API",
    "DESCRIPTION": (
        "Customers, contracts, renewals, cancellations, invoices and payments for "
        "integrations. Authenticate with `Authorization: Bearer <token>`; see docs/api.md."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "TierEnum": "customers.models.Tier.choices",
        "CustomerKindEnum": "customers.models.CustomerKind.choices",
        "ContractStatusEnum": "contracts.models.ContractStatus.choices",
        "CancellationKindEnum": "retention.models.Kind.choices",
        "CancellationStatusEnum": "retention.models.Status.choices",
        "InvoiceKindEnum": "billing.models.InvoiceKind.choices",
        "InvoiceStatusEnum": "billing.models.InvoiceStatus.choices",
        "PaymentKindEnum": "billing.models.PaymentKind.choices",
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
API_WEBHOOK_MAX_ATTEMPTS = env.int("API_WEBHOOK_MAX_ATTEMPTS", default=10)
API_EVENT_FEED_SETTLE_SECONDS = 5
