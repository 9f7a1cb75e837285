"""Playwright fixtures for browser tests, shared by every tests/e2e/test_*.py.

Debian's Chromium is used (``playwright install`` cannot download here). Tests take
``page`` (a fresh context per test, 1280x900, English) and ``live_server`` from
pytest-django, plus ``transactional_db`` because the server runs in another thread.

    @pytest.mark.e2e
    def test_it_...(page, live_server, transactional_db, screenshot):
        page.goto(live_server.url + "/staff/login/")
        ...
        screenshot(page, "my-page")
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Everything in this folder is an end-to-end test, even if its author forgot the mark.
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)")
    with sync_api.sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance: Any) -> Iterator[Any]:
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()


@pytest.fixture
def browser_context_args() -> dict[str, Any]:
    """Override in a test module to change the viewport, locale, etc."""
    return {"viewport": {"width": 1280, "height": 900}, "locale": "en-US"}


@pytest.fixture
def context(browser: Any, browser_context_args: dict[str, Any]) -> Iterator[Any]:
    context = browser.new_context(**browser_context_args)
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(context: Any) -> Iterator[Any]:
    page = context.new_page()
    errors: list[str] = []
    # A CSP violation or a JS error shows up as a console error: fail loudly on those.
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda msg: errors.append(msg.text) if msg.type == "error" else None,
    )
    page.js_errors = errors
    yield page
    page.close()


@pytest.fixture
def screenshot() -> Callable[..., Path]:
    """Save a full-page PNG under test-artifacts/ (gitignored) and return its path."""

    def take(page: Any, name: str, *, full_page: bool = True) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


@pytest.fixture
def staff_login() -> Callable[..., None]:
    """Log a staff user in through the real login form."""

    def login(page: Any, live_server: Any, *, username: str, password: str) -> None:
        page.goto(f"{live_server.url}/staff/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        # Any interface language: the login form is the one posting to the login URL.
        page.click("form[action$='/staff/login/'] button[type=submit]")
        page.wait_for_url(re.compile(r".*/staff/$"))

    return login
