"""Local development: SQLite, embedded Celery broker, console email. Used by `make run`."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="local-only-insecure-key-do-not-use-in-production")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])

# `make run`: web, worker and beat write to the same SQLite file. WAL lets readers proceed
# while one process writes; IMMEDIATE transactions plus a busy timeout make a writer wait for
# the lock instead of failing with "database is locked".
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"].setdefault("OPTIONS", {}).update(  # noqa: F405
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
    # ReminderRule's "one rule per plan and tier" constraint treats NULLs as equal, which
    # SQLite cannot create (PostgreSQL, the production database, does): a warning on every
    # `make run` migrate that the user can do nothing about.
    SILENCED_SYSTEM_CHECKS = ["models.W047"]

# `make run` keeps every e-mail (portal login links too) in var/mail/ and shows them at
# /staff/dev/mail/ (core.mailbox). Only these settings: production and test have no
# LOCAL_MAILBOX_DIR, so there the page does not exist. An EMAIL_URL still wins.
LOCAL_MAILBOX_DIR = env("LOCAL_MAILBOX_DIR", default=str(BASE_DIR / "var" / "mail"))  # noqa: F405
if not env("EMAIL_URL", default=""):
    EMAIL_BACKEND = "core.mailbox.MailboxBackend"

# `make run` shows how a customer pays by transfer (invoices, the portal's Pay now box, where
# no payment provider is configured locally) with an account that says it is not real.
# Production and test keep base's: nothing shown until BANK_* are set (docs/payments.md).
RENEWDESK["BANK_DETAILS"] = {  # noqa: F405
    "account_name": env("BANK_ACCOUNT_NAME", default="RenewDesk Demo Ltd."),
    "bank_name": env("BANK_NAME", default="DEMO ONLY — not a real account"),
    "account_number": env("BANK_ACCOUNT_NUMBER", default="0000 0000 0000 0000 (DEMO)"),
    "swift": env("BANK_SWIFT", default=""),
}
