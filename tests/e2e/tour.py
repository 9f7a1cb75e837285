"""Helpers for the demo tour (tests/e2e/test_demo_tour.py): a browser context that records
every failed response and console error, staff and portal logins, and a same-site crawl.

    with watched_context(browser, "chen.jie") as (context, watch):
        page = staff_page(context, live_server, username="chen.jie", password=...)
        ...
    assert not watch.problems, watch.report()
"""

from __future__ import annotations

import contextlib
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urldefrag, urlsplit

from .conftest import ARTIFACTS

VIEWPORT = {"width": 1280, "height": 900}
# A download or a page left before its request finished is not a failure.
IGNORED_FAILURES = ("net::ERR_ABORTED",)


@dataclass
class Watch:
    """What went wrong in one browser context, each with where it happened."""

    name: str
    problems: list[str] = field(default_factory=list)
    visited: list[str] = field(default_factory=list)

    def _where(self, page: Any) -> str:
        try:
            return urlsplit(page.url).path
        except Exception:  # noqa: BLE001 - a closed page has no url
            return "?"

    def attach(self, page: Any) -> None:
        page.on("response", self._on_response)
        page.on("requestfailed", self._on_request_failed)
        page.on(
            "console",
            lambda msg: (
                self.problems.append(f"console error on {self._where(page)}: {msg.text}")
                if msg.type == "error"
                else None
            ),
        )
        page.on(
            "pageerror",
            lambda exc: self.problems.append(f"page error on {self._where(page)}: {exc}"),
        )

    def _on_response(self, response: Any) -> None:
        if response.status >= 400:
            request = response.request
            self.problems.append(f"{response.status} for {request.method} {response.url}")

    def _on_request_failed(self, request: Any) -> None:
        failure = request.failure or ""
        if not any(ignored in failure for ignored in IGNORED_FAILURES):
            self.problems.append(f"request failed: {request.method} {request.url}: {failure}")

    def check(self, response: Any, what: str) -> None:
        """A response fetched outside a page (context.request: a PDF, a download)."""
        if response.status >= 400:
            self.problems.append(f"{response.status} for GET {response.url} ({what})")

    def report(self) -> str:
        return f"{self.name}: " + "\n  ".join(["", *self.problems])


@contextlib.contextmanager
def watched_context(browser: Any, name: str) -> Iterator[tuple[Any, Watch]]:
    watch = Watch(name)
    context = browser.new_context(viewport=VIEWPORT, locale="en-US")
    context.set_default_timeout(10_000)
    context.on("page", watch.attach)
    try:
        yield context, watch
    except BaseException:
        # What the browser showed when it failed, beside the other screenshots.
        ARTIFACTS.mkdir(exist_ok=True)
        for i, page in enumerate(context.pages):
            slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{name}-{i}")
            with contextlib.suppress(Exception):
                page.screenshot(path=str(ARTIFACTS / f"tour-failed-{slug}.png"), full_page=True)
                (ARTIFACTS / f"tour-failed-{slug}.html").write_text(page.content())
        raise
    finally:
        context.close()


def staff_page(context: Any, live_server: Any, *, username: str, password: str) -> Any:
    page = context.new_page()
    page.goto(f"{live_server.url}/staff/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form[action$='/staff/login/'] button[type=submit]")
    page.wait_for_url(re.compile(r".*/staff/$"))
    return page


def portal_page(context: Any, live_server: Any, *, email: str, contract: Any = None) -> Any:
    """Log a portal customer in through a login link made by the app's own service (what
    the e-mail would carry): its confirmation page, then its button; then open
    ``contract``'s page if one is given."""
    from django.urls import reverse

    from portal.services import magic_link_make, portal_user_for_email

    user = portal_user_for_email(email)
    assert user is not None, f"no portal user for {email}"
    token = magic_link_make(user=user)
    page = context.new_page()
    page.goto(live_server.url + reverse("portal:magic-link", kwargs={"token": token}))
    # Its only form without an action (the language switch has one), in any language.
    page.locator("form[method=post]:not([action]) button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/portal/$"))
    if contract is not None:
        page.goto(f"{live_server.url}/portal/contracts/{contract.pk}/")
    return page


DOWNLOAD = re.compile(r"/(pdf|documents?|receipts?)/|\.(pdf|csv)$|/pdf/$")


def crawl(
    page: Any,
    watch: Watch,
    *,
    start: str,
    prefix: str,
    also: tuple[str, ...] = (),
    skip: tuple[str, ...] = (),
    limit: int = 80,
    per_kind: int | None = None,
) -> list[str]:
    """Open every same-site link under ``prefix`` reachable from ``start`` and the pages
    ``also`` (full URLs) (GET only: links,
    never forms), downloads through the context's request API (of the PDFs made on request,
    one per kind). ``per_kind``: at most that many pages of one kind (the same path but for
    its numbers, the same query keys). Returns the paths opened."""
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(start))
    queue = deque([start, *also])
    seen: set[str] = set()
    rendered: set[str] = set()
    kinds: dict[str, int] = {}
    pages: list[str] = []
    while queue and len(pages) < limit:
        url = queue.popleft()
        parts = urlsplit(url)
        path = parts.path
        if url in seen:
            continue
        seen.add(url)
        if per_kind is not None:
            keys = sorted(q.split("=", 1)[0] for q in parts.query.split("&") if q)
            kind = re.sub(r"\d+", "N", path) + "?" + "&".join(keys)
            kinds[kind] = kinds.get(kind, 0) + 1
            if kinds[kind] > per_kind:
                continue
        if DOWNLOAD.search(path):
            # PDFs rendered on request (invoices, receipts) are slow: one of each kind.
            kind = re.sub(r"\d+", "N", path) if path.endswith("/pdf/") else path
            if kind not in rendered:
                rendered.add(kind)
                watch.check(page.context.request.get(url), "download")
                pages.append(path)
            continue
        page.goto(url)
        pages.append(path)
        watch.visited.append(path)
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        for href in hrefs:
            href, _fragment = urldefrag(href)
            parts = urlsplit(href)
            if f"{parts.scheme}://{parts.netloc}" != origin:
                continue
            if not parts.path.startswith(prefix) or any(s in parts.path for s in skip):
                continue
            if href not in seen:
                queue.append(href)
    return pages
