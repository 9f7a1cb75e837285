"""The browsable docs work in a real browser under the strict Content-Security-Policy
(Swagger UI from our own static files, no inline script or style)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def test_the_docs_page_renders_every_endpoint_without_a_csp_violation(
    page, live_server, transactional_db
):
    page.goto(f"{live_server.url}/api/docs/")

    page.wait_for_selector(".swagger-ui .info .title")
    assert "RenewDesk API" in page.inner_text(".swagger-ui .info .title")
    page.wait_for_selector("text=/api/v1/contracts/")
    assert page.locator(".opblock").count() >= 20
    assert page.js_errors == []
