"""core.cache.RedisCache: Django's Redis backend with one client per pool, against the
real Redis."""

from __future__ import annotations

import os
import threading

from django.core.cache import caches
from django.test import override_settings


def _settings():
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "pooled": {
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"),
            "KEY_PREFIX": f"pooled-test-{worker}",
        },
    }


def test_reuses_one_client_and_behaves_like_djangos():
    with override_settings(CACHES=_settings()):
        cache = caches["pooled"]
        cache.clear()
        assert cache._cache.get_client() is cache._cache.get_client(write=True)
        cache.set("a", {"x": 1}, 30)
        assert cache.get("a") == {"x": 1}
        assert cache.add("a", 2) is False
        cache.set("n", 1)
        assert cache.incr("n") == 2
        assert cache.get_many(["a", "n", "missing"]) == {"a": {"x": 1}, "n": 2}
        cache.delete_many(["a", "n"])
        assert cache.get("a") is None

        errors = []

        def work(i: int) -> None:
            try:
                for j in range(50):
                    cache.set(f"t{i}-{j}", j)
                    assert cache.get(f"t{i}-{j}") == j
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        cache.clear()
