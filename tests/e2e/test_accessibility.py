"""axe-core on every staff and portal page (issue #13, item 15): no violation of impact
"serious" or "critical" (colour contrast, names, labels, landmarks...), in English and in
Chinese.

axe-core is vendored in tests/e2e/vendor/axe-core/ (MPL-2.0, see its LICENSE; the version
is in the first line of axe.min.js) and injected into each page: only these browser
contexts bypass the Content-Security-Policy, which would refuse the injected script. The
app never serves it.

The pages come from PAGES below; a test checks that it names every staff and portal URL
without parameters, so a new page cannot be left out silently.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from tests.e2e.ui_world import build_world, portal_log_in, set_language, staff_log_in

pytestmark = pytest.mark.e2e

AXE_JS = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
BLOCKING = ("serious", "critical")
LANGUAGES = ["en", "zh-hans"]

# Every staff and portal page: URL name -> arguments (from the world) and a query string.
# "anonymous" pages are opened before logging in.
STAFF_ANONYMOUS = ["staff-login"]
STAFF_PAGES: dict[str, Any] = {
    "staff-home": None,
    "staff-tasks": None,
    "customers:list": None,
    "customers:create": None,
    "customers:detail": lambda w: [w["customer"].pk],
    "contracts:list": None,
    "contracts:create": None,
    "contracts:detail": lambda w: [w["contract"].pk],
    "renewals:pipeline": None,
    "renewals:terms-diff": None,
    "renewals:case": lambda w: [w["case"].pk],
    "notifications:outbox": None,
    "notifications:failed": None,
    "notifications:mine": None,
    "retention:queue": None,
    "retention:new": "?number=HT-2026-000123",
    "retention:detail": lambda w: [w["request"].pk],
    "retention:offers": None,
    "retention:winback": None,
    "billing:invoices": None,
    "billing:invoice": lambda w: [w["invoice"].pk],
    "billing:credit-notes": None,
    "insights:feedback": None,
    "insights:feedback-detail": lambda w: [w["feedback"].pk],
    "insights:at-risk": None,
    "insights:losses": None,
    "insights:satisfaction": None,
    "insights:import": None,
    "relations:contacts": None,
    "relations:not-contacted": None,
    "relations:team-tasks": None,
    "relations:segments": None,
    "relations:segment-new": None,
    "relations:segment": lambda w: [w["segment"].pk],
    "relations:campaigns": None,
    "relations:campaign-new": None,
    "relations:campaign": lambda w: [w["campaign"].pk],
    "relations:campaign-report": lambda w: [w["sent_campaign"].pk],
    "relations:claims": None,
    "relations:quote-service-levels": lambda w: [w["quote"].pk],
    "relations:contract-service-levels": lambda w: [w["contract"].pk],
    "loyalty:customer": lambda w: [w["customer"].pk],
    "payments:attempts": None,
}
PORTAL_ANONYMOUS = ["portal:login", "portal:login-sent", "portal:password-login"]
PORTAL_PAGES: dict[str, Any] = {
    "portal:home": None,
    "portal:contract-detail": lambda w: [w["contract"].pk],
    "portal:renewal": lambda w: [w["contract"].pk],
    "portal:invoice": lambda w: [w["invoice"].pk],
    "portal:cancellation-detail": lambda w: [w["request"].pk],
    "portal:messages": None,
    "portal:preferences": None,
    "portal:password-change": None,
    "portal:contacts": None,
    "portal:feedback-list": None,
    "portal:feedback-new": None,
    "portal:feedback-detail": lambda w: [w["feedback"].pk],
    "surveys:list": None,
    "portal:rewards": None,
    "portal:referrals": None,
    "portal:cancel-contracts": None,
    "portal:credit-notes": None,
}
# Parameterless URLs that are not pages: POST-only actions and CSV downloads.
NOT_PAGES = {
    "staff-logout",
    "portal:logout",
    "notifications:mine-read",
    "insights:contracts-export",
    "insights:customers-export",
    "insights:at-risk-export",
    "campaigns:marketing-choice",
}


def _routes(patterns, prefix="", namespace=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _routes(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern) and p.name:
            yield prefix + str(p.pattern), f"{namespace}{p.name}"


def _path(name: str, spec: Any, world: dict) -> str:
    if isinstance(spec, str):
        return reverse(name) + spec
    return reverse(name, args=spec(world) if spec else None)


def test_the_page_list_names_every_staff_and_portal_url_without_parameters():
    without_params = {
        name
        for route, name in _routes(get_resolver().url_patterns)
        if route.startswith(("staff/", "portal/")) and "<" not in route
    }
    listed = set(STAFF_ANONYMOUS) | set(PORTAL_ANONYMOUS) | set(STAFF_PAGES) | set(PORTAL_PAGES)
    assert without_params - listed - NOT_PAGES == set()


def _blocking_violations(page: Any) -> list[str]:
    page.add_script_tag(content=AXE_JS)
    violations = page.evaluate(
        """async (blocking) => {
          const result = await axe.run(document, {resultTypes: ['violations']});
          return result.violations.filter(v => blocking.includes(v.impact)).map(v => ({
            id: v.id, impact: v.impact,
            // A contrast failure says which colours; anything else, axe's own summary.
            nodes: v.nodes.slice(0, 6).map(n => n.target.join(' ') + ' :: ' + (
              n.any.concat(n.all, n.none).map(c => c.data && c.data.fgColor
                ? `${c.data.fgColor} on ${c.data.bgColor} = ${c.data.contrastRatio}`
                : c.message).join('; ')).slice(0, 160)),
            count: v.nodes.length,
          }));
        }""",
        list(BLOCKING),
    )
    return [f"{v['id']} ({v['impact']}, {v['count']} nodes): {v['nodes']}" for v in violations]


def _audit(page: Any, base_url: str, paths: list[str], language: str) -> dict[str, list[str]]:
    found = {}
    for path in paths:
        response = page.goto(base_url + path)
        assert response.status == 200, path
        assert page.evaluate("document.documentElement.lang") == language, path
        violations = _blocking_violations(page)
        if violations:
            found[f"{language} {path}"] = violations
    return found


@pytest.mark.parametrize(
    "interface",
    [
        ("staff", STAFF_ANONYMOUS, STAFF_PAGES, staff_log_in),
        ("portal", PORTAL_ANONYMOUS, PORTAL_PAGES, portal_log_in),
    ],
    ids=lambda i: i[0],
)
def test_no_page_has_a_serious_or_critical_axe_violation(
    browser, live_server, transactional_db, interface
):
    _name, anonymous, pages, log_in = interface
    world = build_world(today=timezone.localdate())
    # Only here: the CSP refuses the injected axe script otherwise.
    context = browser.new_context(
        viewport={"width": 1366, "height": 768}, locale="en-US", bypass_csp=True
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    found: dict[str, list[str]] = {}
    try:
        for language in LANGUAGES:
            set_language(context, live_server.url, language)
            found |= _audit(page, live_server.url, [reverse(n) for n in anonymous], language)
        log_in(page, live_server.url)
        paths = [_path(name, spec, world) for name, spec in pages.items()]
        for language in LANGUAGES:
            set_language(context, live_server.url, language)
            found |= _audit(page, live_server.url, paths, language)
    finally:
        context.close()
    assert found == {}, "\n".join(f"{where}:\n  " + "\n  ".join(v) for where, v in found.items())
