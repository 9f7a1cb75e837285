"""A local mail catcher for `make run`: e-mails kept as files, read on a staff page.

config.settings.local sets LOCAL_MAILBOX_DIR and makes MailboxBackend the e-mail backend
(unless EMAIL_URL names another one). The Celery worker, which delivers the outbox, writes
each message there as one .eml file; the web process lists them at /staff/dev/mail/
(core.mailbox_views). Files rather than a table: the worker and the web server share
nothing else that outlives a restart, and a new table would need a migration that
production would carry for a development tool. Production and test settings have no
LOCAL_MAILBOX_DIR: config.urls then does not mount the page at all.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import logging
import os
import re
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend

logger = logging.getLogger(__name__)

BACKEND = "core.mailbox.MailboxBackend"
# The newest this many messages are kept; older files are removed as new ones arrive.
KEEP = 500
_NAME = re.compile(r"^\d{19,20}-[0-9a-f]{8}$")
_LINK = re.compile(r"https?://[^\s<>\"']+")


def mailbox_dir() -> Path | None:
    configured = getattr(settings, "LOCAL_MAILBOX_DIR", None)
    return Path(configured) if configured else None


def mailbox_enabled() -> bool:
    """The local settings keep mail here (not only mount the page)."""
    return mailbox_dir() is not None and settings.EMAIL_BACKEND == BACKEND


class MailboxBackend(BaseEmailBackend):
    """Writes each message to LOCAL_MAILBOX_DIR/<ns>-<random>.eml and logs one line (the
    worker's log says where to read it)."""

    def send_messages(self, email_messages) -> int:
        directory = mailbox_dir()
        if directory is None:
            raise RuntimeError("MailboxBackend needs settings.LOCAL_MAILBOX_DIR")
        directory.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"
            temporary = directory / f".{name}.tmp"
            temporary.write_bytes(message.message().as_bytes(linesep="\n"))
            # Readers never see half a file: the rename is atomic.
            os.replace(temporary, directory / f"{name}.eml")
            logger.info(
                "[mail] to %s: %s (read it at %s/staff/dev/mail/%s/)",
                ", ".join(message.recipients()),
                message.subject,
                settings.SITE_URL,
                name,
            )
            sent += 1
        _prune(directory)
        return sent


def _prune(directory: Path) -> None:
    for old in sorted(directory.glob("*.eml"))[:-KEEP]:
        old.unlink(missing_ok=True)


@dataclass
class MailItem:
    id: str
    received_at: dt.datetime
    sender: str
    to: str
    subject: str
    text: str
    html: str
    links: list[str] = field(default_factory=list)


def _links(text: str) -> list[str]:
    found: list[str] = []
    for match in _LINK.findall(text):
        link = match.rstrip(".,;:!?)）。，")
        if link not in found:
            found.append(link)
    return found


def _read(path: Path) -> MailItem:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    text = text_part.get_content() if text_part is not None else ""
    html = html_part.get_content() if html_part is not None else ""
    nanoseconds = int(path.stem.split("-", 1)[0])
    return MailItem(
        id=path.stem,
        received_at=dt.datetime.fromtimestamp(nanoseconds / 1e9, tz=dt.UTC),
        sender=str(message.get("From", "")),
        to=str(message.get("To", "")),
        subject=str(message.get("Subject", "")),
        text=text,
        html=html,
        links=_links(text or html),
    )


def mailbox_list(*, to: str = "", limit: int = 50) -> list[MailItem]:
    """The newest messages first, optionally only those to an address containing ``to``."""
    directory = mailbox_dir()
    if directory is None or not directory.is_dir():
        return []
    items: list[MailItem] = []
    needle = to.strip().lower()
    for path in sorted(directory.glob("*.eml"), reverse=True):
        try:
            item = _read(path)
        except (OSError, ValueError):  # removed meanwhile, or not one of ours
            continue
        if needle and needle not in item.to.lower():
            continue
        items.append(item)
        if len(items) >= limit:
            break
    return items


PORTAL_LOGIN_PATH = "/portal/login/link/"


def mailbox_login_links(*, limit: int = 5, scan: int = 300) -> list[tuple[MailItem, str]]:
    """The newest portal login links (message, link): surveys and reminders sent at the
    same time would otherwise bury them."""
    found = []
    for item in mailbox_list(limit=scan):
        link = next((link for link in item.links if PORTAL_LOGIN_PATH in link), None)
        if link:
            found.append((item, link))
            if len(found) >= limit:
                break
    return found


def mailbox_get(message_id: str) -> MailItem | None:
    directory = mailbox_dir()
    if directory is None or not _NAME.match(message_id):  # never a path from the URL
        return None
    path = directory / f"{message_id}.eml"
    try:
        return _read(path)
    except (OSError, ValueError):
        return None
