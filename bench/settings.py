"""Settings for the benchmarks: production-like (DEBUG off, cached templates, persistent
connections) against the bench database, plus a Server-Timing header and a minimal "ok"
view (bench/urls.py) as the framework's ceiling. Never used outside bench/."""

from __future__ import annotations

from config.settings.base import *  # noqa: F403
from config.settings.base import MIDDLEWARE, REST_FRAMEWORK, env

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY", default="bench-only-key")
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
DATABASES = {
    "default": env.db("DATABASE_URL", default="postgres://renewdesk@127.0.0.1:5432/renewdesk_bench")
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = 600
DATABASES["default"]["CONN_HEALTH_CHECKS"] = False

# Outermost, so that its figure covers every other middleware and the view.
MIDDLEWARE = ["bench.middleware.ServerTimingMiddleware", *MIDDLEWARE]
ROOT_URLCONF = "bench.urls"

# The API's per-token throttle would refuse a benchmark's request stream.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {"token": "1000000/min"},
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# Redis as in production (its own database number), for the cache, the sessions
# (cached_db, as config.settings.base sets it when REDIS_URL is given) and the rate limits.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
CACHES = {
    "default": {
        "BACKEND": "core.cache.RedisCache",
        "LOCATION": env("BENCH_REDIS_URL", default="redis://127.0.0.1:6379/12"),
    }
}
