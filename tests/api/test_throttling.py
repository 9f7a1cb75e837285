from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

URL = "/api/v1/plans/"


@pytest.fixture
def three_per_minute(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "3/min"},
    }


def test_it_limits_each_token_separately(three_per_minute, make_client, manager):
    first, second = make_client(manager, "read"), make_client(manager, "read")

    assert [first.get(URL).status_code for _ in range(3)] == [200, 200, 200]
    limited = first.get(URL)

    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "throttled"
    assert int(limited["Retry-After"]) > 0
    assert second.get(URL).status_code == 200  # another token has its own budget
