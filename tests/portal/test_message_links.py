"""The portal inbox shows the links in a message body as links (a campaign's tracked link,
a reminder's renewal link), and nothing else of the body as markup: the text is escaped,
only http(s), www. and e-mail addresses become links, never ``javascript:``."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from notifications.models import Message

pytestmark = pytest.mark.django_db


def _in_app(customer, body: str, n: int = 1) -> Message:
    return Message.objects.create(
        customer=customer,
        channel="in_app",
        kind="campaign",
        template_kind="campaign",
        language="en",
        subject="Spring offer",
        body_text=body,
        dedupe_key=f"test-links-{customer.pk}-{n}",
        status="sent",
    )


def _body(html: str) -> str:
    match = re.search(r'<div class="portal-message-body">(.*?)</div>', html, re.S)
    assert match, "no message body on the page"
    return match.group(1)


def test_a_link_in_a_message_is_clickable_and_the_lines_stay_apart(customer_client, customer):
    _in_app(
        customer,
        "Dear Acme,\nsee https://renew.example/portal/campaigns/go/abc123/ today.\nThanks",
    )

    _in_app(customer, "Renew: https://renew.example/portal/campaigns/go/" + "x" * 80 + "/", n=2)

    html = customer_client.get(reverse("portal:messages")).content.decode()

    bodies = re.findall(r'<div class="portal-message-body">(.*?)</div>', html, re.S)
    short = next(b for b in bodies if "abc123" in b)
    assert (
        '<a href="https://renew.example/portal/campaigns/go/abc123/" rel="nofollow">'
        "https://renew.example/portal/campaigns/go/abc123/</a>"
    ) in short
    assert short.count("<br>") == 2
    # A long tracked link keeps its whole address but shows shortened.
    long = next(b for b in bodies if "xxx" in b)
    link = re.search(r'<a href="([^"]*)" rel="nofollow">([^<]*)</a>', long)
    assert link and link.group(1).endswith("x" * 80 + "/")
    assert len(link.group(2)) == 50 and link.group(2).endswith("…")


def test_markup_and_script_links_in_a_message_stay_text(customer_client, customer):
    _in_app(
        customer,
        '<script>alert("x")</script>\n'
        "javascript:alert(document.cookie)\n"
        '<a href="javascript:alert(1)" onclick="alert(2)">win</a>\n'
        'https://ok.example/?q="><img src=x onerror=alert(3)>',
    )

    body = _body(customer_client.get(reverse("portal:messages")).content.decode())

    assert "<script" not in body and "&lt;script&gt;" in body
    assert not re.search(r"<a[^>]*javascript:", body, re.I)
    tags = re.findall(r"<[a-z]+\b[^>]*>", body, re.I)
    assert all(re.fullmatch(r'<br>|<a href="[^"]*" rel="nofollow">', tag) for tag in tags), tags
    # Only the https address is a link, and its quote cannot close the attribute.
    hrefs = re.findall(r'<a href="([^"]*)"', body)
    assert len(hrefs) == 1 and hrefs[0].startswith("https://ok.example/")
    assert "javascript:alert(document.cookie)" in body
