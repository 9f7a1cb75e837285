"""Layout at the two sizes people use most (issue #13, item 15):

- a 1366×768 laptop (and 1200px, the narrowest window where the navigation is a bar):
  the staff navigation is one row and the renewal pipeline shows its seven columns
  without sideways scrolling, in English and in Chinese;
- a 390×844 phone: an amount ("CNY 1,234,567.89"), a contract number or an invoice number
  never breaks over two lines on the portal's contract and invoice pages.

One browser for the module (tests/e2e/conftest.py); each test logs in once and walks its
pages with that login. Screenshots go to test-artifacts/layout-*.png.
"""

from __future__ import annotations

import itertools

import pytest
from django.utils import timezone

from core.navigation import staff_nav_for
from tests.e2e.ui_world import build_world, portal_log_in, set_language, staff_log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 768}
# The narrowest window where the staff navigation is a bar (below, it collapses to a menu).
NARROW_LAPTOP = {"width": 1200, "height": 768}
PHONE = {"width": 390, "height": 844}
LANGUAGES = ["en", "zh-hans"]

# How many lines a piece of text takes: its line boxes, told apart by their tops.
LINES_JS = """
window.__lines = (rects) => {
  const tops = [];
  for (const r of rects) {
    if (r.width === 0 || r.height === 0) continue;
    if (!tops.some(t => Math.abs(t - r.top) < r.height / 2)) tops.push(r.top);
  }
  return tops.length;
};
"""

NAV_ROW_JS = """() => {
  const nav = document.querySelector('nav.staff-navbar');
  const shown = el => el.offsetParent !== null;
  const box = el => { const r = el.getBoundingClientRect(); return {
    text: el.innerText.trim().replace(/\\s+/g, ' ').slice(0, 30), top: r.top, bottom: r.bottom,
    lines: window.__lines(el.getClientRects()), right: r.right}; };
  const range = document.createRange();
  const linkLines = el => { range.selectNodeContents(el);
    return window.__lines([...range.getClientRects()]); };
  return {
    navHeight: nav.getBoundingClientRect().height,
    viewport: document.documentElement.clientWidth,
    items: [...nav.querySelectorAll('.navbar-nav > .nav-item')].filter(shown).map(box),
    hrefs: [...nav.querySelectorAll('.navbar-nav a')].map(a => a.getAttribute('href')),
    labels: [...nav.querySelectorAll('.navbar-nav .nav-link')].filter(shown).map(el => ({
      text: el.innerText.trim(), lines: linkLines(el)})),
    others: [...nav.querySelectorAll('.navbar-brand, .navbar-tools > *')]
      .filter(shown).map(box),
  };
}"""

PIPELINE_JS = """() => ({
  viewport: document.documentElement.clientWidth,
  columns: [...document.querySelectorAll('.pipeline-column')].map(el => {
    const r = el.getBoundingClientRect();
    return {head: el.querySelector('h2').innerText.trim(), left: r.left, right: r.right};
  }),
})"""

# Amounts, contract numbers and invoice numbers, wherever they are in the page's text, and
# every element the money filter wrote: each must sit on one line.
UNBROKEN_JS = r"""() => {
  const value = /(?:[A-Z]{3} )?-?\d{1,3}(?:,\d{3})*\.\d{2}|\b(?:HT|INV|RC|CN|Q)-[A-Z0-9-]*\d\b/g;
  const broken = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  let found = 0;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.parentElement || node.parentElement.offsetParent === null) continue;
    for (const m of node.data.matchAll(value)) {
      found += 1;
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const lines = window.__lines([...range.getClientRects()]);
      if (lines > 1) broken.push(`${m[0]} (${lines} lines)`);
    }
  }
  const money = [...document.querySelectorAll('.money, .num, .doc-number')]
    .filter(el => el.offsetParent !== null);
  for (const el of money) {
    const oneLine = parseFloat(getComputedStyle(el).fontSize) * 2;
    if (window.__lines(el.getClientRects()) > 1 || el.getBoundingClientRect().height >= oneLine)
      broken.push(`.${el.className}: ${el.innerText.trim()}`);
  }
  return {found, money: money.length, broken};
}"""

# The portal's tab bar on a phone: each label on one line, with some room (4px at least)
# between two labels.
PORTAL_TABS_JS = """() => {
  const range = document.createRange();
  const tabs = [...document.querySelectorAll('.portal-nav-link')].map(el => {
    range.selectNodeContents(el);
    const r = range.getBoundingClientRect();
    return {text: el.innerText.trim(), lines: window.__lines([...range.getClientRects()]),
            left: r.left, right: r.right};
  });
  return {
    broken: tabs.filter(t => t.lines > 1).map(t => t.text),
    overlapping: tabs.slice(1).filter((t, i) => t.left < tabs[i].right + 4).map(t => t.text),
  };
}"""


@pytest.fixture
def world(transactional_db):
    return build_world(today=timezone.localdate())


def _context(browser, viewport, **extra):
    context = browser.new_context(viewport=viewport, locale="en-US", **extra)
    context.set_default_timeout(10_000)
    context.add_init_script(LINES_JS)
    return context


def _shot(page, name: str) -> None:
    from tests.e2e.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"layout-{name}.png"), full_page=True)


def test_at_1366_px_the_staff_navigation_is_one_row_and_all_seven_pipeline_columns_show(
    browser, live_server, world
):
    context = _context(browser, LAPTOP)
    page = context.new_page()
    try:
        staff_log_in(page, live_server.url)
        for viewport, language in itertools.product([LAPTOP, NARROW_LAPTOP], LANGUAGES):
            where = f"{viewport['width']}px {language}"
            page.set_viewport_size(viewport)
            set_language(context, live_server.url, language)
            page.goto(f"{live_server.url}/staff/renewals/")
            assert page.evaluate("document.documentElement.lang") == language
            _shot(page, f"pipeline-{viewport['width']}-{language}")

            nav = page.evaluate(NAV_ROW_JS)
            # Every entry is there, in the bar or under "More".
            assert sorted(nav["hrefs"]) == sorted(i["url"] for i in staff_nav_for(world["alice"]))
            tops = {round(item["top"]) for item in nav["items"]}
            assert len(tops) == 1, f"{where}: navigation wraps: {nav['items']}"
            assert [lb for lb in nav["labels"] if lb["lines"] != 1] == [], where
            row_top = min(item["top"] for item in nav["items"])
            row_bottom = max(item["bottom"] for item in nav["items"])
            # The brand and the tools (bell, language, log out) sit in that same row.
            below = [o for o in nav["others"] if o["top"] >= row_bottom or o["bottom"] <= row_top]
            assert below == [], f"{where}: on another row: {below}"
            cut = [i for i in nav["items"] + nav["others"] if i["right"] > nav["viewport"]]
            assert cut == [], f"{where}: beyond the window's right edge: {cut}"

            board = page.evaluate(PIPELINE_JS)
            assert len(board["columns"]) == 7
            outside = [
                c for c in board["columns"] if c["left"] < 0 or c["right"] > board["viewport"]
            ]
            assert outside == [], f"{where}: columns outside the window: {outside}"
    finally:
        context.close()


def test_on_a_phone_amounts_and_numbers_never_break_on_the_portal_contract_and_invoice(
    browser, live_server, world
):
    context = _context(browser, PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    pages = {
        "contract": f"/portal/contracts/{world['contract'].pk}/",
        "invoice": f"/portal/invoices/{world['invoice'].pk}/",
    }
    try:
        portal_log_in(page, live_server.url)
        for language in LANGUAGES:
            set_language(context, live_server.url, language)
            for name, path in pages.items():
                page.goto(live_server.url + path)
                _shot(page, f"phone-{name}-{language}")
                result = page.evaluate(UNBROKEN_JS)
                # The page shows the seven-figure amount and the numbers this test is about.
                assert result["found"] >= 3, f"{name} {language}: {result}"
                assert result["broken"] == [], f"{name} {language}: {result['broken']}"
                assert result["money"] >= 2, f"{name} {language}: no .money element"
                tabs = page.evaluate(PORTAL_TABS_JS)
                assert tabs["broken"] == [] and tabs["overlapping"] == [], f"{language}: {tabs}"
    finally:
        context.close()
