"""core.pagination through the staff lists: keyset links walk every row exactly once in
both directions, the count is bounded, and a bad cursor is a message, not an error."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from html import unescape

import pytest
from django.utils import timezone

from contracts.models import Contract
from core import pagination
from tests.factories import ContractFactory, CustomerFactory

pytestmark = pytest.mark.django_db

ROW = re.compile(r'href="/staff/contracts/(\d+)/" class="fw-semibold">([^<]+)</a>')


def _numbers(response) -> list[str]:
    return [m.group(2) for m in ROW.finditer(response.content.decode())]


def _link(response, rel: str) -> str | None:
    match = re.search(rf'rel="{rel}" href="\?([^"]*)"', response.content.decode())
    return unescape(match.group(1)) if match else None


def _last_link(response) -> str | None:
    match = re.search(r'href="\?([^"]*)" aria-label="Last page"', response.content.decode())
    return unescape(match.group(1)) if match else None


@pytest.fixture
def book(manager):
    """60 contracts with many ties in end date and value (the number breaks them)."""
    today = timezone.localdate()
    customers = [CustomerFactory(account_manager=manager, name=f"Kunde {i % 3}") for i in range(6)]
    for i in range(60):
        ContractFactory(
            customer=customers[i % 6],
            number=f"HT-P-{i:04d}",
            end_date=today + dt.timedelta(days=10 + i % 4),
            annual_value=Decimal(1000 * (i % 5)),
        )
    return manager


def _walk_forward(client, query: str) -> tuple[list[str], list]:
    response = client.get(f"/staff/contracts/?{query}")
    seen, pages = _numbers(response), [response]
    while (link := _link(response, "next")) is not None:
        response = client.get(f"/staff/contracts/?{link}")
        assert response.status_code == 200
        seen += _numbers(response)
        pages.append(response)
    return seen, pages


@pytest.mark.parametrize(
    "sort", ["end_date", "-end_date", "value", "-value", "customer", "-customer", "number"]
)
def test_next_links_visit_every_row_once_in_order(client, book, sort):
    client.force_login(book)
    seen, pages = _walk_forward(client, f"sort={sort}")
    expected_order = {
        "end_date": ("end_date", "number"),
        "-end_date": ("-end_date", "-number"),
        "value": ("annual_value", "number"),
        "-value": ("-annual_value", "-number"),
        "customer": ("customer__name", "number"),
        "-customer": ("-customer__name", "-number"),
        "number": ("number",),
    }[sort]
    expected = list(Contract.objects.order_by(*expected_order).values_list("number", flat=True))
    assert seen == expected
    assert len(pages) == 3
    # Page 2 and 3 came from keyset links, not OFFSET.
    assert "after=" in pages[1].wsgi_request.GET.urlencode()
    assert "Page 3 of 3" in pages[2].content.decode()


def test_previous_links_walk_back_to_the_same_pages(client, book):
    client.force_login(book)
    _seen, pages = _walk_forward(client, "sort=-value")
    response = pages[-1]
    back = [_numbers(response)]
    while (link := _link(response, "prev")) is not None:
        response = client.get(f"/staff/contracts/?{link}")
        back.append(_numbers(response))
    back.reverse()
    assert back == [_numbers(p) for p in pages]


def test_last_page_link_reads_backwards(client, book):
    client.force_login(book)
    first = client.get("/staff/contracts/?sort=number")
    last = client.get(f"/staff/contracts/?{_last_link(first)}")
    assert _numbers(last) == [f"HT-P-{i:04d}" for i in range(50, 60)]
    assert "51–60 of 60" in last.content.decode()
    assert _link(last, "next") is None


def test_count_is_bounded(client, book, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 40)
    client.force_login(book)
    first = client.get("/staff/contracts/?sort=number")
    body = first.content.decode()
    assert "1–25 of more than 40" in body
    assert "Page 1" in body and "Page 1 of" not in body
    seen, pages = _walk_forward(client, "sort=number")
    assert len(seen) == 60 and len(set(seen)) == 60
    last = client.get(f"/staff/contracts/?{_last_link(first)}")
    assert _numbers(last)[-1] == "HT-P-0059"
    assert "Last page" in last.content.decode()


def test_filters_and_sort_drop_the_cursor(client, book):
    client.force_login(book)
    second = client.get(f"/staff/contracts/?{_link(client.get('/staff/contracts/'), 'next')}")
    body = second.content.decode()
    # Sort headers and filter chips start again from the first page.
    sort_links = re.findall(r'href="\?([^"]*sort=[^"]*)"', body)
    assert sort_links and not any("after=" in unescape(link) for link in sort_links)


@pytest.mark.parametrize(
    "query",
    [
        "after=garbage",
        "before=%%%",
        "after=eyJ2IjpbMV0sIm4iOjJ9",
        "after=eyJ2IjpbIm5vdC1hLWRhdGUiLCJ4Il0sIm4iOjJ9",
        "page=abc",
        "page=-4",
        "page=999999",
    ],
)
def test_bad_paging_input_shows_a_page(client, book, query):
    client.force_login(book)
    response = client.get(f"/staff/contracts/?{query}", follow=True)
    assert response.status_code == 200
    assert len(_numbers(response)) == 25 or "page=999999" in query


def test_bad_cursor_says_so_in_chinese(client, book):
    book.language = "zh-hans"
    book.save()
    client.force_login(book)
    response = client.get("/staff/contracts/?after=garbage", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert "该分页链接已失效" in response.content.decode()


def test_customer_list_keyset_by_name(client, manager):
    for i in range(30):
        CustomerFactory(account_manager=manager, name=f"Same name {i % 2}", code=f"K{i:03d}")
    client.force_login(manager)
    response = client.get("/staff/customers/?sort=-name")
    link = _link(response, "next")
    assert link and "after=" in link
    second = client.get(f"/staff/customers/?{link}")
    assert second.status_code == 200
    assert "26–30 of 30" in second.content.decode()
