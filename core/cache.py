"""Django's Redis cache backend, with one Redis client per connection pool.

``django.core.cache.backends.redis.RedisCache`` builds a new ``redis.Redis`` client for
every cache call, and redis-py fills a table of ~80 response callbacks in each client's
constructor: about 0.1 ms of Python per call, more than the round trip to Redis on the
same host. A page served from the staff page cache makes two calls, so that was a
third of its time (docs/performance.md). The client is thread-safe (it takes a
connection from the pool for each command), so one per pool is enough.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class PooledRedisCacheClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        # django-stubs leave out RedisCacheClient's private helpers (Django 5.2 has them).
        index = self._get_connection_pool_index(write)  # type: ignore[attr-defined]
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(index)  # type: ignore[attr-defined]
            client = self._client(connection_pool=pool)  # type: ignore[attr-defined]
            self._clients[index] = client
        return client


class RedisCache(DjangoRedisCache):
    """Use as ``"BACKEND": "core.cache.RedisCache"``; options as Django's."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = PooledRedisCacheClient
